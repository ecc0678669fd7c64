import LuaKit

/// Host names for cosockets (not built yet beyond the seed's error without a `resolver`).
enum Resolver {
    static func connect(_ t: LuaThread, _ s: TCPSocket, host: String, port: UInt16, _ lua: Lua) -> Int32 {
        let config = s.server.config
        guard !config.resolvers.isEmpty else { return NgxAPI.pushFailure(lua, NgxStrings.noResolver(host)) }
        return NgxAPI.pushFailure(lua, NgxStrings.notResolved(host, 3, "Host not found"))
    }
}
