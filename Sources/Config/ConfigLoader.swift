/// Loads a configuration: parse (with includes), apply `-g` overrides and the file through the directive table,
/// then merge. Errors are `ConfigError`s (typed throws) whose description is nginx's `[emerg]` text.
public enum ConfigLoader {
    /// Parses, builds and merges the config at `path` (relative to `prefix` unless absolute).
    ///
    /// `overrides` is the text of `-g` (e.g. `"daemon off; pid x;"`): main-context directives applied before the
    /// file, located as "command line" in errors. A single-valued directive given both there and in the file fails
    /// as nginx does, at the file's directive: `"daemon" directive is duplicate in conf/tcplua.conf:3`.
    public static func load(
        path: String,
        prefix: String,
        overrides: String? = nil,
        fs: ConfigFileSystem = .real
    ) throws(ConfigError) -> MainConfig {
        var state = BuildState()
        if let overrides {
            let directives = try ConfigParser.parse(
                text: overrides,
                file: SourceLocation.commandLine.file,
                prefix: prefix,
                fs: fs
            )
            try state.apply(directives, in: .main)
        }
        let directives = try ConfigParser.parseFile(path, prefix: prefix, fs: fs)
        try state.apply(directives, in: .main)
        return state.finish()
    }

    /// Builds a configuration from text already in memory (for tests and tools); `file` names it in errors.
    public static func load(
        text: String,
        file: String,
        prefix: String = "",
        overrides: String? = nil,
        fs: ConfigFileSystem = .real
    ) throws(ConfigError) -> MainConfig {
        var state = BuildState()
        if let overrides {
            let directives = try ConfigParser.parse(
                text: overrides,
                file: SourceLocation.commandLine.file,
                prefix: prefix,
                fs: fs
            )
            try state.apply(directives, in: .main)
        }
        try state.apply(ConfigParser.parse(text: text, file: file, prefix: prefix, fs: fs), in: .main)
        return state.finish()
    }

    /// The whole configuration with includes expanded, for `tcplua -T`: for each file read (main file first, then
    /// includes in the order met, each once) `# configuration file F:\n` + its text + `\n`, as nginx prints.
    /// Only syntax is checked; call `load` first to test the configuration.
    public static func dump(path: String, prefix: String, fs: ConfigFileSystem = .real) throws(ConfigError) -> String {
        var session = ParseSession(prefix: prefix, fs: fs, mainFile: path)
        _ = try session.parseFile(path, includedAt: nil)
        return session.files.map { "# configuration file \($0.name):\n\($0.text)\n" }.joined()
    }
}
