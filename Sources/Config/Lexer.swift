/// Reads nginx configuration text one statement at a time, after nginx's `ngx_conf_read_token`.
///
///     name  arg  "quoted arg"  'single'  ;      -> words + .semicolon
///     name  args  {                             -> words + .blockStart
///     }                                         -> .blockEnd
///     # comment to end of line                  (only where a word could start)
///
/// Words end at whitespace, `;` or `{` (but `${` stays in the word, as in nginx); `}` and `#` inside a word are
/// ordinary characters. A backslash keeps the next character from ending a word; in the word's text `\"`, `\'`,
/// `\\` and `\$` lose the backslash and `\n`, `\t`, `\r` become control characters; any other `\x` stays as is.
/// A quoted word must be followed by whitespace, `;` or `{`. Lua block bodies are read by `readLuaBlock()`
/// (LuaBlockScanner.swift).
struct Lexer {
    /// What ended a statement.
    enum Terminator: Equatable {
        case semicolon, blockStart, blockEnd, endOfFile
    }

    /// One word and the line it starts on.
    struct Word: Equatable {
        var text: String
        var line: Int
    }

    /// The words read before a terminator.
    struct Statement {
        var words: [Word]
        var terminator: Terminator
    }

    let bytes: [UInt8]
    /// The file name used in error locations.
    let file: String
    /// Index of the next unread byte.
    var pos = 0
    /// Line of the next unread byte.
    var line = 1

    init(text: String, file: String) {
        self.bytes = Array(text.utf8)
        self.file = file
    }

    /// The current position, for errors (the command line has no lines).
    var location: SourceLocation {
        file == SourceLocation.commandLine.file ? .commandLine : SourceLocation(file: file, line: line)
    }

    /// An error at the current position.
    func error(_ message: String) -> ConfigError { ConfigError(message, at: location) }

    /// The error for text that ends inside a statement.
    func unexpectedEnd() -> ConfigError {
        location.isCommandLine
            ? error("unexpected end of parameter, expecting \";\"")
            : error("unexpected end of file, expecting \";\" or \"}\"")
    }

    /// Reads words up to the next terminator.
    mutating func nextStatement() throws(ConfigError) -> Statement {
        var words: [Word] = []
        while true {
            skipSpaceAndComments()
            guard pos < bytes.count else {
                if !words.isEmpty { throw unexpectedEnd() }
                return Statement(words: words, terminator: .endOfFile)
            }
            switch bytes[pos] {
            case .semicolon, .openBrace:
                let isBlock = bytes[pos] == .openBrace
                if words.isEmpty { throw error("unexpected \"\(isBlock ? "{" : ";")\"") }
                pos += 1
                return Statement(words: words, terminator: isBlock ? .blockStart : .semicolon)
            case .closeBrace:
                if !words.isEmpty { throw error("unexpected \"}\"") }
                pos += 1
                return Statement(words: words, terminator: .blockEnd)
            case .doubleQuote, .singleQuote:
                words.append(try readQuoted())
            default:
                words.append(readBare())
            }
        }
    }

    /// Skips whitespace and `#` comments, counting lines.
    mutating func skipSpaceAndComments() {
        while pos < bytes.count {
            switch bytes[pos] {
            case .newline:
                line += 1
                pos += 1
            case .space, .tab, .carriageReturn:
                pos += 1
            case .hash:
                while pos < bytes.count && bytes[pos] != .newline { pos += 1 }
            default:
                return
            }
        }
    }

    /// Reads an unquoted word.
    mutating func readBare() -> Word {
        let startLine = line
        let start = pos
        var afterDollar = false
        while pos < bytes.count {
            let c = bytes[pos]
            if c == .backslash {
                if pos + 1 < bytes.count && bytes[pos + 1] == .newline { line += 1 }
                pos = min(pos + 2, bytes.count)
                afterDollar = false
                continue
            }
            if c == .openBrace && afterDollar {
                pos += 1
                afterDollar = false
                continue
            }
            if c.isConfigSpace || c == .semicolon || c == .openBrace { break }
            afterDollar = c == .dollar
            pos += 1
        }
        return Word(text: Lexer.unescape(bytes[start..<pos]), line: startLine)
    }

    /// Reads a `"..."` or `'...'` word; it must be followed by whitespace, `;` or `{`.
    mutating func readQuoted() throws(ConfigError) -> Word {
        let quote = bytes[pos]
        let startLine = line
        pos += 1
        let start = pos
        while true {
            guard pos < bytes.count else { throw unexpectedEnd() }
            let c = bytes[pos]
            if c == .backslash {
                if pos + 1 < bytes.count && bytes[pos + 1] == .newline { line += 1 }
                pos += 2
                continue
            }
            if c == .newline { line += 1 }
            if c == quote { break }
            pos += 1
        }
        let word = Word(text: Lexer.unescape(bytes[start..<pos]), line: startLine)
        pos += 1
        if pos < bytes.count {
            let next = bytes[pos]
            if next == .closeParen {
                pos += 1  // nginx treats ")" after a quoted word as a separator
            } else if !(next.isConfigSpace || next == .semicolon || next == .openBrace) {
                throw error("unexpected \"\(String(decoding: [next], as: UTF8.self))\"")
            }
        }
        return word
    }

    /// Applies nginx's escapes (plus `\$`) to the raw bytes of a word.
    static func unescape(_ raw: ArraySlice<UInt8>) -> String {
        guard raw.contains(.backslash) else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = raw.startIndex
        while i < raw.endIndex {
            let c = raw[i]
            if c == .backslash && i + 1 < raw.endIndex {
                let next = raw[i + 1]
                let replacement: UInt8? =
                    switch next {
                    case .doubleQuote, .singleQuote, .backslash, .dollar: next
                    case UInt8(ascii: "n"): .newline
                    case UInt8(ascii: "t"): .tab
                    case UInt8(ascii: "r"): .carriageReturn
                    default: nil
                    }
                if let replacement {
                    out.append(replacement)
                    i += 2
                    continue
                }
            }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The ASCII bytes the lexers look at.
extension UInt8 {
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let tab = UInt8(ascii: "\t")
    static let space = UInt8(ascii: " ")
    static let semicolon = UInt8(ascii: ";")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let closeParen = UInt8(ascii: ")")
    static let equals = UInt8(ascii: "=")
    static let minus = UInt8(ascii: "-")
    static let hash = UInt8(ascii: "#")
    static let dollar = UInt8(ascii: "$")
    static let backslash = UInt8(ascii: "\\")
    static let doubleQuote = UInt8(ascii: "\"")
    static let singleQuote = UInt8(ascii: "'")

    /// Whitespace between configuration words.
    var isConfigSpace: Bool { self == .space || self == .tab || self == .newline || self == .carriageReturn }
}
