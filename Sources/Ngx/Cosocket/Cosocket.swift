import CLuaJIT
import CShim
import LuaKit

/// What every cosocket (TCP, UDP) shares: the session (request context) whose threads created it, to which
/// it belongs (any of that session's threads may use it, as OpenResty's light threads share a request's
/// sockets; another session's raises "bad request"), and its place in that session's list, so the sockets
/// left open are closed when the session's last thread ends (as OpenResty closes a request's sockets at
/// its cleanup). The Lua object is a table `{[1] = userdata}` (OpenResty's shape); the userdata holds one
/// retained reference to the socket and releases it in its `__gc`.
class Cosocket {
    /// The owning session while its threads run; nil once they ended.
    unowned(unsafe) var owner: Session?
    /// Whether `s` owns it, without loading a reference (the FFI fast paths check it per call).
    @inline(__always) final func isOwned(by s: Session) -> Bool {
        withUnsafeBytes(of: &owner) { $0.load(as: UnsafeRawPointer?.self) }
            == UnsafeRawPointer(Unmanaged.passUnretained(s).toOpaque())
    }
    var next: Cosocket?
    unowned(unsafe) var previous: Cosocket?
    /// Set by `TCPSocket`: methods check it instead of a dynamic cast.
    var isTCP = false
    /// The host name lookup in progress (a TCP connect, a UDP setpeername).
    var query: DNSQuery?

    init(thread: LuaThread) {
        let session = thread.session
        owner = session
        next = session.cosockets
        session.cosockets?.previous = self
        session.cosockets = self
    }

    /// Leaves its session's list (the session's threads ended, or its Lua object was collected).
    final func unlink() {
        guard let s = owner else { return }
        if let p = previous { p.next = next } else { s.cosockets = next }
        next?.previous = previous
        next = nil
        previous = nil
        owner = nil
    }

    /// Closes whatever is open (the session's threads ended or the object was collected); overridden.
    func shutdown() {}

    /// The last thread of `s` ended: its sockets are closed and no longer usable.
    static func sessionThreadsEnded(_ s: Session) {
        while let c = s.cosockets {
            c.unlink()
            c.shutdown()
        }
    }

    // MARK: the Lua object

    /// The registry key of the userdata metatable (`__gc`).
    static let userdataMetaKey = "tcplua.cosocket"

    /// The address stored at `[1]` of the userdata metatable: what tells our userdata from any other.
    nonisolated(unsafe) static var sentinel: UInt8 = 0

    /// Pushes a userdata owning one reference to `s`.
    static func pushUserdata(_ lua: Lua, _ s: Cosocket) {
        let p = lua_newuserdata(lua.L, MemoryLayout<UnsafeMutableRawPointer?>.size)!
        p.storeBytes(of: Unmanaged.passRetained(s).toOpaque(), as: UnsafeMutableRawPointer?.self)
        tl_registry_push(lua.L, Int32(TL_KEY_COSOCKET_META))
        lua.setMetatable(-2)
    }

    /// The socket of the object at argument 1 (`self`), if it is one of ours.
    static func fromArg(_ lua: Lua) -> Unmanaged<Cosocket>? {
        guard lua.type(at: 1) == .table else { return nil }
        lua.rawGetI(1, 1)
        guard let p = lua.toUserdata(-1), lua.type(at: -1) == .userdata, lua_getmetatable(lua.L, -1) != 0 else {
            lua.pop()
            return nil
        }
        lua.rawGetI(-1, 1)
        let ours = lua.toUserdata(-1) == UnsafeMutableRawPointer(&sentinel)
        lua.pop(3)
        guard ours, let raw = p.load(as: UnsafeMutableRawPointer?.self) else { return nil }
        return Unmanaged<Cosocket>.fromOpaque(raw)
    }

    /// `__gc`: closes the socket and drops the reference.
    static let collect: LuaFunction = { L in
        let lua = Lua(L!)
        guard let p = lua.toUserdata(1), let raw = p.load(as: UnsafeMutableRawPointer?.self) else { return 0 }
        p.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
        let s = Unmanaged<Cosocket>.fromOpaque(raw).takeRetainedValue()
        s.unlink()
        s.shutdown()
        return 0
    }

    /// Installs the userdata metatable in the registry.
    static func installMeta(_ lua: Lua) {
        lua.newTable(narr: 1, nrec: 1)
        lua.push(collect)
        lua.setField(-2, "__gc")
        lua.pushLightUserdata(&sentinel)
        lua.rawSetI(-2, 1)
        lua.pushValue(at: -1)
        lua_setfield(lua.L, LUA_REGISTRYINDEX, userdataMetaKey)
        tl_registry_store(lua.L, Int32(TL_KEY_COSOCKET_META))
    }
}
