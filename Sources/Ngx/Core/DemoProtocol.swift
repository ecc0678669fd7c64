import Config

/// The seed's built-in `protocol demo`, written in Lua on tcplua's own API: a 4-byte big-endian body length
/// N (4 ≤ N ≤ client_max_body_size, else the connection is closed), N bytes of body; the reply is a 4-byte
/// big-endian length (payload + 4, the seed's asymmetry) and the payload: `demo_echo` if set, else the body.
enum DemoProtocol {
    static func source(for server: ServerConfig) -> LuaSource {
        let echo = server.demoEcho.map { "[==[" + $0 + "]==]" } ?? "nil"
        let code = """
            local receive, print, wait = ngx.receive, ngx.print, ngx.wait_next_request
            local floor, char, byte = math.floor, string.char, string.byte
            local max, echo = \(server.clientMaxBodySize), \(echo)
            local function be(n)
              return char(floor(n / 16777216) % 256, floor(n / 65536) % 256, floor(n / 256) % 256, n % 256)
            end
            while true do
              local h = receive(4)
              if not h then return end
              local a, b, c, d = byte(h, 1, 4)
              local n = ((a * 256 + b) * 256 + c) * 256 + d
              if n < 4 or n > max then return end
              local body = receive(n)
              if not body then return end
              local payload = echo or body
              print(be(#payload + 4), payload)
              wait()
            end
            """
        return .inline(code: code, chunkName: "protocol_demo", firstLine: 1)
    }
}
