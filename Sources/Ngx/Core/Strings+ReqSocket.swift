/// The client socket's (`ngx.req.socket()`) Lua-visible strings, as stream-lua words them.
extension NgxStrings {
    public static func reqSocketArgCount(_ n: Int32) -> String { "expecting zero arguments, but got \(n)" }
    public static func expectingArgs(_ n: Int32, _ got: Int32) -> String {
        "expecting \(n) arguments (including the object), but got \(got)"
    }
}
