/// One parsed directive: `name arg arg;`, `name args { ... }`, or `name_by_lua_block { lua }`.
///
/// For a `*_by_lua_block` directive the raw Lua body is the single argument, `block` is nil and `bodyLine` is the
/// line the body starts on (the line of its opening `{`), so Lua line 1 is that file line.
public struct Directive: Sendable, Equatable {
    /// The directive name, e.g. `listen`.
    public var name: String
    /// The arguments with quotes removed and escapes applied.
    public var args: [String]
    /// The file and line of the directive name.
    public var location: SourceLocation
    /// The directives of its block; nil when the directive ended with `;` (or is a Lua block).
    public var block: [Directive]?
    /// For `*_by_lua_block`: the line of the Lua body's first line; nil otherwise.
    public var bodyLine: Int?
    /// The line each argument starts on (same count as `args`), to map inline Lua code back to the file.
    public var argLines: [Int]

    public init(
        name: String,
        args: [String] = [],
        location: SourceLocation,
        block: [Directive]? = nil,
        bodyLine: Int? = nil,
        argLines: [Int]? = nil
    ) {
        self.name = name
        self.args = args
        self.location = location
        self.block = block
        self.bodyLine = bodyLine
        self.argLines = argLines ?? Array(repeating: location.line, count: args.count)
    }

    /// True when the directive carries a block: `{ ... }` or a Lua block body.
    var hasBlock: Bool { block != nil || bodyLine != nil }
}
