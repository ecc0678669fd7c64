/// Reads the raw Lua body of a `*_by_lua_block { ... }` directive.
///
/// The body runs from just after the opening `{` to its matching `}`. Braces are counted Lua-aware: braces inside
/// `'...'` / `"..."` strings (with backslash escapes), long strings `[[...]]` / `[==[...]==]`, `--` line comments and
/// `--[[ ... ]]` / `--[==[ ... ]==]` block comments do not count.
extension Lexer {
    /// Reads the body after an opening `{` (already consumed); returns the text and the line it starts on.
    mutating func readLuaBlock() throws(ConfigError) -> (body: String, line: Int) {
        let startLine = line
        let start = pos
        var depth = 1
        while pos < bytes.count {
            switch bytes[pos] {
            case .newline:
                line += 1
                pos += 1
            case .minus where pos + 1 < bytes.count && bytes[pos + 1] == .minus:
                pos += 2
                skipLuaComment()
            case .doubleQuote, .singleQuote:
                skipLuaString()
            case .openBracket:
                if let level = longBracketLevel() {
                    skipLongBracket(level: level)
                } else {
                    pos += 1
                }
            case .openBrace:
                depth += 1
                pos += 1
            case .closeBrace:
                depth -= 1
                if depth == 0 {
                    let body = String(decoding: bytes[start..<pos], as: UTF8.self)
                    pos += 1
                    return (body, startLine)
                }
                pos += 1
            default:
                pos += 1
            }
        }
        throw error("unexpected end of file, expecting \"}\"")
    }

    /// Skips a comment whose `--` is already consumed: a long-bracket comment or the rest of the line.
    mutating func skipLuaComment() {
        if let level = longBracketLevel() {
            skipLongBracket(level: level)
            return
        }
        while pos < bytes.count && bytes[pos] != .newline { pos += 1 }
    }

    /// Skips a quoted Lua string starting at `pos`; an unfinished string ends at the end of its line.
    mutating func skipLuaString() {
        let quote = bytes[pos]
        pos += 1
        while pos < bytes.count {
            let c = bytes[pos]
            if c == .backslash {
                if pos + 1 < bytes.count && bytes[pos + 1] == .newline { line += 1 }
                pos += 2
                continue
            }
            if c == .newline { return }
            pos += 1
            if c == quote { return }
        }
        pos = min(pos, bytes.count)
    }

    /// The level of a long bracket opening at `pos` (`[[` is 0, `[==[` is 2), or nil if there is none.
    func longBracketLevel() -> Int? {
        guard pos < bytes.count, bytes[pos] == .openBracket else { return nil }
        var i = pos + 1
        while i < bytes.count && bytes[i] == .equals { i += 1 }
        guard i < bytes.count, bytes[i] == .openBracket else { return nil }
        return i - pos - 1
    }

    /// Skips a long string or comment whose opening bracket of `level` starts at `pos`, through its closing bracket.
    mutating func skipLongBracket(level: Int) {
        pos += level + 2
        while pos < bytes.count {
            let c = bytes[pos]
            if c == .newline {
                line += 1
            } else if c == .closeBracket && closesLongBracket(level: level) {
                pos += level + 2
                return
            }
            pos += 1
        }
    }

    /// True when `]`, `level` equals signs and `]` start at `pos`.
    func closesLongBracket(level: Int) -> Bool {
        let end = pos + level + 1
        guard end < bytes.count, bytes[end] == .closeBracket else { return false }
        return bytes[(pos + 1)..<end].allSatisfy { $0 == .equals }
    }
}
