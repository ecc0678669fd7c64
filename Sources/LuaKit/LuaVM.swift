import CLuaJIT
import CShim

/// Failure to load or run a chunk: the Lua message (with traceback when run).
public struct LuaError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}

/// The main Lua state of a process: created once by the master, inherited by workers through fork.
/// Not thread-safe; lives on one thread.
public final class LuaVM {
    public let lua: Lua

    public init() {
        guard let L = luaL_newstate() else { fatalError("luaL_newstate failed: out of memory") }
        luaL_openlibs(L)
        lua = Lua(L)
    }

    deinit { lua_close(lua.L) }

    /// Loads `code` as a chunk and leaves the function on the stack.
    public func load(_ code: String, chunkName: String) throws(LuaError) {
        try load(bytes: Array(code.utf8), chunkName: chunkName)
    }

    /// Loads the bytes of a chunk and leaves the function on the stack.
    public func load(bytes: [UInt8], chunkName: String) throws(LuaError) {
        let status = bytes.withUnsafeBytes {
            tl_load(lua.L, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count, chunkName)
        }
        try check(status)
    }

    private func check(_ status: Int32) throws(LuaError) {
        if status != 0 {
            let msg = lua.string(-1) ?? "unknown error"
            lua.pop()
            throw LuaError(msg)
        }
    }

    /// Calls the function below `nargs` arguments with a traceback handler; leaves `nresults` results.
    public func call(nargs: Int32 = 0, nresults: Int32 = 0) throws(LuaError) {
        if tl_pcall_traceback(lua.L, nargs, nresults) != 0 {
            let msg = lua.string(-1) ?? "(error object is not a string)"
            lua.pop()
            throw LuaError(msg)
        }
    }

    /// Sets `package.path`/`package.cpath`; ";;" in a value stands for the current (default) path.
    public func setPackagePath(_ path: String?, cpath: String?) {
        lua.getGlobal("package")
        for (key, value) in [("path", path), ("cpath", cpath)] {
            guard let value else { continue }
            lua.getField(-1, key)
            let old = lua.string(-1) ?? ""
            lua.pop()
            let expanded = value.replacingOccurrences(";;", with: ";\(old);")
            lua.push(expanded)
            lua.setField(-2, key)
        }
        lua.pop()
    }

}

extension String {
    /// Foundation-free replacement of every occurrence of `target`.
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}
