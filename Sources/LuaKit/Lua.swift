import CLuaJIT
import CShim

/// A Swift function exposed to Lua: returns the count of results, `Lua.raise` or `Lua.yield(n)`.
/// It must never call anything that raises (`lua_error`, `luaL_check*`): the trampoline does that once
/// the Swift frame has returned (DESIGN.md, "The Lua boundary").
public typealias LuaFunction = @convention(c) (OpaquePointer?) -> Int32

/// Lua value types, as `lua_type` reports them.
public enum LuaType: Int32, Sendable {
    case none = -1
    case `nil` = 0
    case boolean, lightUserdata, number, string, table, function, userdata, thread
}

/// A borrowed view of one `lua_State` (the main state or a coroutine): small, copyable, no ownership.
///
/// Which calls can raise: every push, table, global, load and call below allocates or runs Lua, so it can
/// raise (out of memory, or a failing `__gc` the collector runs): use them only inside Lua (a `LuaFunction`
/// running in a coroutine) or inside `LuaVM.protected`. Stack inspection (`top`, `type`, `toNumber`,
/// `toBool`, `toUserdata`, `objlen`, `bytes` and `string` of a string value), `setTop`/`pop`, `remove`,
/// `insert`, `unref` and `pushValue`-free reads never raise. Swift never calls `lua_error`, `luaL_error`,
/// `luaL_check*` or `lua_call`: the trampoline raises after the Swift frame has returned (a guard test
/// scans the sources).
public struct Lua {
    public let L: OpaquePointer

    @inlinable public init(_ L: OpaquePointer) { self.L = L }

    /// The value a `LuaFunction` returns to raise the string on top of the stack.
    public static let raise: Int32 = -1
    /// The value a `LuaFunction` returns to yield with the top `n` values.
    @inlinable public static func yield(_ n: Int32) -> Int32 { -2 - n }

    // MARK: stack

    @inlinable public var top: Int32 { lua_gettop(L) }
    @inlinable public func setTop(_ n: Int32) { lua_settop(L, n) }
    @inlinable public func pop(_ n: Int32 = 1) { lua_settop(L, -n - 1) }
    @inlinable public func type(at i: Int32) -> LuaType { LuaType(rawValue: lua_type(L, i)) ?? .none }
    @inlinable public func typeName(at i: Int32) -> String { String(cString: lua_typename(L, lua_type(L, i))) }
    @inlinable public func isNoneOrNil(_ i: Int32) -> Bool { lua_type(L, i) <= 0 }
    @inlinable public func pushValue(at i: Int32) { lua_pushvalue(L, i) }
    @inlinable public func remove(at i: Int32) { lua_remove(L, i) }
    @inlinable public func insert(at i: Int32) { lua_insert(L, i) }

    // MARK: push

    @inlinable public func pushNil() { lua_pushnil(L) }
    @inlinable public func push(_ b: Bool) { lua_pushboolean(L, b ? 1 : 0) }
    @inlinable public func push(_ d: Double) { lua_pushnumber(L, d) }
    @inlinable public func push(_ i: Int) { lua_pushnumber(L, Double(i)) }
    @inlinable public func push(_ s: String) {
        var s = s
        s.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { lua_pushlstring(L, $0.baseAddress, $0.count) }
        }
    }
    /// A literal, pushed without building a Swift `String`.
    @inlinable public func push(static s: StaticString) {
        lua_pushlstring(L, UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self), s.utf8CodeUnitCount)
    }
    @inlinable public func push(bytes: UnsafeRawPointer?, count: Int) {
        lua_pushlstring(L, bytes?.assumingMemoryBound(to: CChar.self), count)
    }
    @inlinable public func push(_ f: LuaFunction) { tl_push_function(L, f) }
    @inlinable public func pushLightUserdata(_ p: UnsafeMutableRawPointer?) { lua_pushlightuserdata(L, p) }

    // MARK: read

    @inlinable public func toNumber(_ i: Int32) -> Double? {
        lua_type(L, i) == LUA_TNUMBER ? lua_tonumber(L, i) : nil
    }
    /// A number, or a string convertible to one (Lua's own coercion).
    @inlinable public func coerceNumber(_ i: Int32) -> Double? {
        lua_isnumber(L, i) != 0 ? lua_tonumber(L, i) : nil
    }
    @inlinable public func toBool(_ i: Int32) -> Bool { lua_toboolean(L, i) != 0 }
    /// The bytes of a string (or number, converted in place) at `i`, valid while the value is on the stack.
    @inlinable public func bytes(_ i: Int32) -> UnsafeRawBufferPointer? {
        var len = 0
        guard let p = lua_tolstring(L, i, &len) else { return nil }
        return UnsafeRawBufferPointer(start: p, count: len)
    }
    @inlinable public func string(_ i: Int32) -> String? {
        guard let b = bytes(i) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }
    @inlinable public func toUserdata(_ i: Int32) -> UnsafeMutableRawPointer? { lua_touserdata(L, i) }
    @inlinable public func objlen(_ i: Int32) -> Int { Int(lua_objlen(L, i)) }

    // MARK: tables and globals

    @inlinable public func newTable(narr: Int32 = 0, nrec: Int32 = 0) { lua_createtable(L, narr, nrec) }
    @inlinable public func setField(_ t: Int32, _ k: String) { lua_setfield(L, t, k) }
    @inlinable public func getField(_ t: Int32, _ k: String) { lua_getfield(L, t, k) }
    @inlinable public func rawGet(_ t: Int32) { lua_rawget(L, t) }
    @inlinable public func rawGetI(_ t: Int32, _ n: Int32) { lua_rawgeti(L, t, n) }
    @inlinable public func rawSetI(_ t: Int32, _ n: Int32) { lua_rawseti(L, t, n) }
    @inlinable public func getGlobal(_ k: String) { lua_getfield(L, LUA_GLOBALSINDEX, k) }
    @inlinable public func setGlobal(_ k: String) { lua_setfield(L, LUA_GLOBALSINDEX, k) }
    @inlinable public func setMetatable(_ i: Int32) { lua_setmetatable(L, i) }
    @inlinable public func next(_ t: Int32) -> Bool { lua_next(L, t) != 0 }

    // MARK: registry references

    /// Pops the top value and keeps it alive in the registry; returns its reference.
    @inlinable public func ref() -> Int32 { luaL_ref(L, LUA_REGISTRYINDEX) }
    @inlinable public func unref(_ r: Int32) { luaL_unref(L, LUA_REGISTRYINDEX, r) }
    @inlinable public func pushRef(_ r: Int32) { lua_rawgeti(L, LUA_REGISTRYINDEX, r) }

    // MARK: loading and calling (raise: inside Lua or `LuaVM.protected` only)

    /// Loads `code` as a chunk onto this stack: true with the function pushed, false with the message pushed.
    public func load(_ code: String, chunkName: String) -> Bool {
        var code = code
        return code.withUTF8 { buf in
            tl_load(L, UnsafeRawPointer(buf.baseAddress)?.assumingMemoryBound(to: CChar.self), buf.count, chunkName)
                == 0
        }
    }

    /// Loads a chunk from bytes: true with the function pushed, false with the message pushed.
    public func load(bytes: [UInt8], chunkName: String) -> Bool {
        bytes.withUnsafeBytes {
            tl_load(L, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count, chunkName) == 0
        }
    }

    /// Calls the function below `nargs` arguments with a traceback handler: nil with `nresults` results
    /// left, or the error message (popped).
    public func pcallTraceback(nargs: Int32, nresults: Int32) -> String? {
        guard tl_pcall_traceback(L, nargs, nresults) != 0 else { return nil }
        let message = LuaVM.errorMessage(self, at: -1)
        pop()
        return message
    }

    // MARK: errors

    /// Pushes `message` and returns `Lua.raise`: `return lua.error("bad argument #1 to 'sleep'")`.
    @inlinable public func error(_ message: String) -> Int32 {
        push(message)
        return Lua.raise
    }

    /// "file:line" of the Lua function `level` frames up (1 = the caller of the current C function).
    /// stream-lua's position prefix of a log line at `level`: `basename:line: ` or `basename:line: fn(): `.
    public func whereStringStream(level: Int32 = 1) -> String { position(tl_where_stream, level) }

    public func whereString(level: Int32 = 1) -> String { position(tl_where, level) }

    /// The text one of the shim's position writers (`tl_where`, `tl_where_stream`) puts in a 512-byte buffer.
    private func position(
        _ write: (OpaquePointer?, Int32, UnsafeMutablePointer<CChar>?, Int32) -> Int32,
        _ level: Int32
    ) -> String {
        var buf = [CChar](repeating: 0, count: 512)
        let n = write(L, level, &buf, 512)
        guard n > 0 else { return "" }
        return buf.withUnsafeBufferPointer { b in
            String(decoding: UnsafeRawBufferPointer(start: b.baseAddress, count: Int(n)), as: UTF8.self)
        }
    }
}
