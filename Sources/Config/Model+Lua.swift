/// Where a Lua handler's code comes from.
public enum LuaSource: Sendable, Equatable {
    /// Code written in the config (`*_by_lua '...'` or `*_by_lua_block { ... }`).
    /// - chunkName: OpenResty's chunk name, directive stem + `(` + file basename + `:` + directive line + `)`,
    ///   e.g. `process_by_lua(tcplua.conf:12)`; `_block` directives use the stem without `_block`.
    /// - firstLine: the file line the code starts on (Lua line 1), to map Lua line numbers back to the file.
    case inline(code: String, chunkName: String, firstLine: Int)
    /// A `*_by_lua_file` path as written (relative to the prefix unless absolute), and where it was configured.
    case file(path: String, location: SourceLocation)
}

/// A `lua_shared_dict NAME SIZE` declaration.
public struct LuaShareDictDecl: Sendable, Equatable {
    /// The dictionary name, `ngx.shared.NAME`.
    public var name: String
    /// Zone size in bytes (more than 8191).
    public var size: Int
    /// Where it was declared.
    public var location: SourceLocation

    public init(name: String, size: Int, location: SourceLocation) {
        self.name = name
        self.size = size
        self.location = location
    }
}
