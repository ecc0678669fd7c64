import LuaKit

/// `ngx.socket.udp()` (not built yet).
extension NgxAPI {
    static func injectUDP(_ lua: Lua) {}
}
