import Config
import EventLoop
import Glibc
import SharedDict

/// The `lua_shared_dict` zones: mapped by the master before it forks (MAP_SHARED | MAP_ANONYMOUS), so every
/// worker inherits the same memory, and formatted as empty dictionaries.
enum SharedZones {
    static func map(_ decls: [LuaShareDictDecl]) throws -> [(name: String, zone: DictZone)] {
        try decls.map { d in
            guard let p = mmap(nil, d.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
                p != MAP_FAILED
            else {
                throw ServerError("mmap(MAP_ANON|MAP_SHARED, \(d.size)) failed (\(errno): \(Sys.strerror(errno)))")
            }
            guard let zone = DictZone(formatting: p, size: d.size) else {
                throw ServerError("cannot set up shared memory zone \"\(d.name)\" (\(d.location))")
            }
            return (d.name, zone)
        }
    }
}
