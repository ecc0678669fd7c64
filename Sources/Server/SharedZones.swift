import Config
import EventLoop
import Glibc
import SharedDict

/// One mapped `lua_shared_dict` zone.
struct MappedZone {
    let name: String
    let size: Int
    let base: UnsafeMutableRawPointer
    let zone: DictZone
}

/// The `lua_shared_dict` zones: mapped by the master before it forks (MAP_SHARED | MAP_ANONYMOUS), so every
/// worker inherits the same memory, and formatted as empty dictionaries. A reload keeps a zone of the same
/// name and size (its data with it); any other is mapped anew.
enum SharedZones {
    /// Maps `decls`, reusing the zone of `existing` with the same name and size; `created` is told of each
    /// zone mapped anew that replaces one of another size.
    static func map(
        _ decls: [LuaShareDictDecl],
        keeping existing: [MappedZone] = [],
        resized: (LuaShareDictDecl, Int) -> Void = { _, _ in }
    ) throws -> [MappedZone] {
        var made: [MappedZone] = []
        do {
            return try decls.map { d in
                if let kept = existing.first(where: { $0.name == d.name }) {
                    if kept.size == d.size { return kept }
                    resized(d, kept.size)
                }
                let zone = try mapOne(d)
                made.append(zone)
                return zone
            }
        } catch {
            unmap(made)
            throw error
        }
    }

    /// Unmaps zones in this process (workers that inherited them keep their own mappings).
    static func unmap(_ zones: [MappedZone]) {
        for z in zones { munmap(z.base, z.size) }
    }

    private static func mapOne(_ d: LuaShareDictDecl) throws -> MappedZone {
        guard let p = mmap(nil, d.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED
        else {
            throw ServerError("mmap(MAP_ANON|MAP_SHARED, \(d.size)) failed (\(errno): \(Sys.strerror(errno)))")
        }
        guard let zone = DictZone(formatting: p, size: d.size) else {
            munmap(p, d.size)
            throw ServerError("cannot set up shared memory zone \"\(d.name)\" (\(d.location))")
        }
        return MappedZone(name: d.name, size: d.size, base: p, zone: zone)
    }
}
