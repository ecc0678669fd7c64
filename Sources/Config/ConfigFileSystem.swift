import Glibc

/// How the parser reads configuration files and expands `include` globs; injectable so tests can use an
/// in-memory tree (`ConfigFileSystem.inMemory`).
///
/// Both closures receive full paths (already joined to the prefix). `read` should throw a `ConfigFileError` so the
/// message reads like nginx's (`open() "conf/x.conf" failed (2: No such file or directory)`); any other error is
/// printed with its description. `glob` returns the matching paths (order does not matter, the parser sorts them),
/// and an empty list when nothing matches.
public struct ConfigFileSystem: Sendable {
    /// Returns the text of the file at a full path.
    public var read: @Sendable (String) throws -> String
    /// Returns the full paths matching a glob pattern (`*`, `?`, `[...]`; `*` does not cross `/`).
    public var glob: @Sendable (String) -> [String]

    public init(read: @escaping @Sendable (String) throws -> String, glob: @escaping @Sendable (String) -> [String]) {
        self.read = read
        self.glob = glob
    }

    /// The real file system, through `open(2)`/`read(2)` and `glob(3)`.
    public static let real = ConfigFileSystem(read: RealFiles.read, glob: RealFiles.glob)

    /// A file system holding only `files` (full path → text); missing files fail with ENOENT.
    public static func inMemory(_ files: [String: String]) -> ConfigFileSystem {
        ConfigFileSystem(
            read: { path in
                guard let text = files[path] else { throw ConfigFileError.notFound }
                return text
            },
            glob: { pattern in
                files.keys.filter { fnmatch(pattern, $0, FNM_PATHNAME) == 0 }.sorted()
            }
        )
    }
}

/// A failed system call on a configuration file, printed as nginx does: `open() "F" failed (2: No such file or
/// directory)`.
public struct ConfigFileError: Error, Sendable, Equatable {
    /// The call that failed, with its parentheses: `open()`, `read()`.
    public var call: String
    /// The errno value.
    public var code: Int32
    /// `strerror(code)`.
    public var reason: String

    public init(call: String, code: Int32, reason: String) {
        self.call = call
        self.code = code
        self.reason = reason
    }

    /// `open()` failing with ENOENT, for in-memory file systems.
    public static let notFound = ConfigFileError(call: "open()", code: 2, reason: "No such file or directory")

    /// The nginx-style message for the file `name` (as the user wrote it).
    func message(for name: String) -> String {
        "\(call) \"\(name)\" failed (\(code): \(reason))"
    }
}

/// The real file system calls behind `ConfigFileSystem.real`.
enum RealFiles {
    /// Reads a whole file; throws `ConfigFileError` carrying errno.
    @Sendable static func read(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open()") }
        defer { _ = close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("read()")
            }
            if n == 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Expands a glob pattern, sorted; no match gives an empty list.
    @Sendable static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in
            result.gl_pathv[index].map { String(cString: $0) }
        }
    }

    /// A `ConfigFileError` for the current errno.
    private static func failure(_ call: String) -> ConfigFileError {
        let code = errno
        return ConfigFileError(call: call, code: code, reason: String(cString: strerror(code)))
    }
}
