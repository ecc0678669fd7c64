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
///
/// Swift reaches Lua only through `protected` (a `lua_cpcall`) and `lua_resume`: anything that can raise —
/// allocating (the collector may run a `__gc` that errors), calling, loading — happens inside one of them.
public final class LuaVM {
    public let lua: Lua

    /// Called with the message when Lua panics (an error with no protected frame: the process ends next).
    nonisolated(unsafe) public static var onPanic: ((String) -> Void)?

    public init() {
        guard let L = luaL_newstate() else { fatalError("luaL_newstate failed: out of memory") }
        lua_atpanic(L, LuaVM.panic)
        lua = Lua(L)
        if let e = protected({ luaL_openlibs($0.L) }) { fatalError("luaL_openlibs failed: \(e.message)") }
    }

    deinit { lua_close(lua.L) }

    private static let panic: lua_CFunction = { L in
        let message = L.map { LuaVM.errorMessage(Lua($0), at: -1) } ?? "?"
        LuaVM.onPanic?("lua atpanic: Lua VM crashed, reason: " + message)
        return 0
    }

    /// Runs `body` inside `lua_cpcall` on this state: an error raised inside (out of memory, a failing
    /// finalizer, a failed call) is returned instead of crossing Swift. Values left on the stack are dropped.
    /// `body` is escaping on purpose: an error unwinds its frame without running its cleanups, which for a
    /// non-escaping closure trips Swift's escape check; a boxed closure only leaks what the frame held.
    @discardableResult
    public func protected(_ body: @escaping (Lua) -> Void) -> LuaError? { LuaVM.protected(lua.L, body) }

    /// `protected` on any state (the body runs in a new frame of `L`).
    public static func protected(_ L: OpaquePointer, _ body: @escaping (Lua) -> Void) -> LuaError? {
        final class Box {
            let body: (Lua) -> Void
            init(_ body: @escaping (Lua) -> Void) { self.body = body }
        }
        let box = Unmanaged.passRetained(Box(body))
        defer { box.release() }
        let status = tl_protected(
            L,
            { L, ctx in Unmanaged<Box>.fromOpaque(ctx!).takeUnretainedValue().body(Lua(L!)) },
            box.toOpaque()
        )
        guard status != 0 else { return nil }
        let message = errorMessage(Lua(L), at: -1)
        lua_settop(L, -2)
        return LuaError(message)
    }

    /// The error value at `i` as text, reading it without converting (which could allocate).
    public static func errorMessage(_ lua: Lua, at i: Int32) -> String {
        if lua_type(lua.L, i) == LUA_TSTRING, let s = lua.string(i) { return s }
        return "(error object is a \(lua.typeName(at: i)) value)"
    }

    /// Loads `code` and runs it with `_G` as its environment (init code, built-in preludes).
    public func run(_ code: [UInt8], chunkName: String) throws(LuaError) {
        var failure: String?
        let e = protected { lua in
            failure =
                lua.load(bytes: code, chunkName: chunkName) ? lua.pcallTraceback(nargs: 0, nresults: 0) : lua.string(-1)
        }
        if let e { throw e }
        if let failure { throw LuaError(failure) }
    }

    /// Sets `package.path`/`package.cpath`; ";;" in a value stands for the current (default) path.
    public func setPackagePath(_ path: String?, cpath: String?) {
        protected { lua in
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
