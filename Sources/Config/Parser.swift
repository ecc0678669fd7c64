/// Parses nginx-syntax configuration into a tree of `Directive`s, expanding `include` in any context.
///
/// Only syntax is checked here (quotes, braces, `;`, `include`); whether a directive exists, where it may appear and
/// its arguments are checked by the builder (`ConfigLoader`). Errors are thrown as `ConfigError` (typed throws).
public enum ConfigParser {
    /// Parses `text` as the contents of `file` (the name used in locations and Lua chunk names).
    /// Relative `include` patterns are resolved against the directory of `file` (under `prefix`), as nginx does.
    public static func parse(
        text: String,
        file: String,
        prefix: String,
        fs: ConfigFileSystem = .real
    ) throws(ConfigError) -> [Directive] {
        var session = ParseSession(prefix: prefix, fs: fs, mainFile: file)
        return try session.parse(text: text, file: file)
    }

    /// Reads and parses the file at `path` (relative to `prefix` unless absolute); locations use `path` as written.
    public static func parseFile(
        _ path: String,
        prefix: String,
        fs: ConfigFileSystem = .real
    ) throws(ConfigError) -> [Directive] {
        var session = ParseSession(prefix: prefix, fs: fs, mainFile: path)
        return try session.parseFile(path, includedAt: nil)
    }
}

/// The state of one parse: where relative paths start, how files are read, and every file read so far (in the
/// order read, each once) for `tcplua -T`.
struct ParseSession {
    /// Includes deeper than this are taken to be a loop.
    static let maxIncludeDepth = 64

    let prefix: String
    let fs: ConfigFileSystem
    /// Where relative `include` patterns start: the main config file's directory (nginx's conf prefix).
    let includeBase: String
    /// The files read, by name as written, with their text.
    var files: [(name: String, text: String)] = []
    var depth = 0

    init(prefix: String, fs: ConfigFileSystem, mainFile: String) {
        if let slash = mainFile.lastIndex(of: "/") {
            includeBase = String(mainFile[..<slash])
        } else {
            includeBase = ""
        }
        var prefix = prefix
        while prefix.count > 1 && prefix.hasSuffix("/") { prefix.removeLast() }
        self.prefix = prefix
        self.fs = fs
    }

    /// The path to open for a name as written: absolute names as they are, relative ones under the prefix.
    func fullPath(_ name: String) -> String {
        if name.hasPrefix("/") || prefix.isEmpty { return name }
        return prefix == "/" ? "/" + name : prefix + "/" + name
    }

    /// The name to show for a full path found by a glob of a pattern written as `pattern`.
    func displayName(_ full: String, pattern: String) -> String {
        guard !pattern.hasPrefix("/"), !prefix.isEmpty else { return full }
        let head = prefix == "/" ? "/" : prefix + "/"
        return full.hasPrefix(head) ? String(full.dropFirst(head.count)) : full
    }

    /// Reads and parses one file; `includedAt` is the `include` directive that named it, for the error location.
    mutating func parseFile(_ name: String, includedAt: SourceLocation?) throws(ConfigError) -> [Directive] {
        let text: String
        do {
            text = try fs.read(fullPath(name))
        } catch let error as ConfigFileError {
            throw ConfigError(error.message(for: name), at: includedAt)
        } catch {
            throw ConfigError("open() \"\(name)\" failed (\(error))", at: includedAt)
        }
        return try parse(text: text, file: name)
    }

    /// Parses the text of one file.
    mutating func parse(text: String, file: String) throws(ConfigError) -> [Directive] {
        if !files.contains(where: { $0.name == file }) { files.append((file, text)) }
        var lexer = Lexer(text: text, file: file)
        return try parseBlock(&lexer, inBlock: false)
    }

    /// Parses statements up to the end of the file (top level) or the `}` closing the current block.
    mutating func parseBlock(_ lexer: inout Lexer, inBlock: Bool) throws(ConfigError) -> [Directive] {
        var directives: [Directive] = []
        while true {
            let statement = try lexer.nextStatement()
            switch statement.terminator {
            case .endOfFile:
                if inBlock { throw lexer.error("unexpected end of file, expecting \"}\"") }
                return directives
            case .blockEnd:
                if !inBlock { throw lexer.error("unexpected \"}\"") }
                return directives
            case .semicolon, .blockStart:
                let words = statement.words
                let location =
                    lexer.location.isCommandLine ? .commandLine : SourceLocation(file: lexer.file, line: words[0].line)
                let name = words[0].text
                var args = words.dropFirst().map(\.text)
                var argLines = words.dropFirst().map(\.line)
                if name == "include" {
                    guard statement.terminator == .semicolon else {
                        throw ConfigError("directive \"include\" is not terminated by \";\"", at: location)
                    }
                    guard args.count == 1 else {
                        throw ConfigError("invalid number of arguments in \"include\" directive", at: location)
                    }
                    directives += try include(args[0], at: location)
                } else if statement.terminator == .semicolon {
                    directives.append(Directive(name: name, args: args, location: location, argLines: argLines))
                } else if name.hasSuffix("_by_lua_block") {
                    let (body, bodyLine) = try lexer.readLuaBlock()
                    args.append(body)
                    argLines.append(bodyLine)
                    directives.append(
                        Directive(name: name, args: args, location: location, bodyLine: bodyLine, argLines: argLines)
                    )
                } else {
                    let block = try parseBlock(&lexer, inBlock: true)
                    directives.append(
                        Directive(name: name, args: args, location: location, block: block, argLines: argLines)
                    )
                }
            }
        }
    }

    /// Expands `include pattern;`: a pattern with `*`, `?` or `[` is globbed (no match is fine, as in nginx);
    /// any other name must exist.
    mutating func include(_ pattern: String, at location: SourceLocation) throws(ConfigError) -> [Directive] {
        guard depth < ParseSession.maxIncludeDepth else {
            throw ConfigError("too many nested includes of \"\(pattern)\"", at: location)
        }
        depth += 1
        defer { depth -= 1 }
        let pattern = pattern.hasPrefix("/") || includeBase.isEmpty ? pattern : includeBase + "/" + pattern
        let names: [String]
        if pattern.contains(where: { "*?[".contains($0) }) {
            names = fs.glob(fullPath(pattern)).sorted().map { displayName($0, pattern: pattern) }
        } else {
            names = [pattern]
        }
        var directives: [Directive] = []
        for name in names {
            directives += try parseFile(name, includedAt: location)
        }
        return directives
    }
}
