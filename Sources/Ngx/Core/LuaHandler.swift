import Config
import Glibc
import LuaKit

/// One Lua entry point from the config (`process_by_lua*`, `init_by_lua*` ...), compiled once when the code
/// cache is on. The chunk is compiled as a factory (`return function(...) <code> end`, on the chunk's first
/// line so line numbers are unchanged), so each session gets its own closure whose environment can be its own.
public final class LuaHandler {
    public let source: LuaSource
    public let codeCache: Bool
    private let prefix: String
    private var factoryRef: Int32 = -2  // LUA_NOREF

    public init(source: LuaSource, codeCache: Bool, prefix: String) {
        self.source = source
        self.codeCache = codeCache
        self.prefix = prefix
    }

    /// The chunk name Lua shows in messages: "process_by_lua(tcplua.conf:12)" or the file path as written.
    public var chunkName: String {
        switch source {
        case .inline(_, let name, _): return "=" + name
        case .file(let path, _): return "@" + path
        }
    }

    /// Compiles the chunk (always, to report syntax errors at startup and for `-t`), keeping it when caching.
    public func compile(_ vm: LuaVM) throws(LuaError) {
        let code = try chunkBytes()
        var failure: String?
        let e = vm.protected { [self] lua in
            guard lua.load(bytes: code, chunkName: chunkName) else {
                failure = lua.string(-1) ?? "?"
                return
            }
            if codeCache { factoryRef = lua.ref() }
        }
        if let e { throw e }
        if let failure { throw LuaError(failure) }
    }

    /// Pushes a new closure of the handler onto `lua`'s stack, or returns the error message. Raises: call it
    /// inside `LuaVM.protected` only.
    func pushClosure(_ lua: Lua) -> String? {
        if codeCache && factoryRef != -2 {
            lua.pushRef(factoryRef)
        } else {
            let code: [UInt8]
            do { code = try chunkBytes() } catch { return error.message }
            guard lua.load(bytes: code, chunkName: chunkName) else { return lua.string(-1) ?? "?" }
        }
        return lua.pcallTraceback(nargs: 0, nresults: 1)
    }

    /// Runs the chunk once in the main state with `_G` as its environment (init_by_lua, init_worker_by_lua).
    public func runOnce(_ vm: LuaVM) throws(LuaError) {
        var failure: String?
        let e = vm.protected { [self] lua in
            failure = pushClosure(lua) ?? lua.pcallTraceback(nargs: 0, nresults: 0)
        }
        if let e { throw e }
        if let failure { throw LuaError(failure) }
    }

    /// The chunk's bytes, wrapped as a factory.
    private func chunkBytes() throws(LuaError) -> [UInt8] {
        switch self.source {
        case .inline(let text, _, _):
            return LuaHandler.wrap(Array(text.utf8))
        case .file(let path, _):
            let full = ErrorLog.resolve(path, prefix: prefix)
            guard let bytes = LuaHandler.readFile(full) else {
                throw LuaError("cannot open \(full): \(String(cString: strerror(errno)))")
            }
            return LuaHandler.wrap(bytes)
        }
    }

    /// `return function(...) <code>\nend` with a leading shebang line blanked out (bytes kept as they are).
    static func wrap(_ code: [UInt8]) -> [UInt8] {
        var body = code[...]
        if body.first == UInt8(ascii: "#") {
            let end = body.firstIndex(of: UInt8(ascii: "\n")) ?? body.endIndex
            body = body[end...]
        }
        return Array("return function(...) ".utf8) + body + Array("\nend".utf8)
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }
}
