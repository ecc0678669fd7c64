import Foundation
import Testing

@testable import Config

/// `ConfigFileSystem.real` against a temporary directory.
@Suite struct RealFileSystemTests {
    /// A fresh prefix directory holding `files` (relative name → text).
    func makePrefix(_ files: [String: String]) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cfgtest-\(UUID().uuidString)").path
        for (name, text) in files {
            let path = root + "/" + name
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test func loadsWithGlobIncludes() throws {
        let prefix = try makePrefix([
            "conf/tcplua.conf": "tcp {\n    include servers/*.conf;\n}\n",
            "conf/servers/20-b.conf": "server { listen 127.0.0.1:2; }",
            "conf/servers/10-a.conf": "server {\n  listen 127.0.0.1:1;\n}",
        ])
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let config = try ConfigLoader.load(path: "conf/tcplua.conf", prefix: prefix + "/")
        #expect(config.tcp.servers.map { $0.listens[0].text } == ["127.0.0.1:1", "127.0.0.1:2"])
        #expect(config.tcp.servers[0].listens[0].location == SourceLocation(file: "conf/servers/10-a.conf", line: 2))
        let dump = try ConfigLoader.dump(path: "conf/tcplua.conf", prefix: prefix)
        #expect(dump.hasPrefix("# configuration file conf/tcplua.conf:\ntcp {\n"))
        #expect(dump.contains("# configuration file conf/servers/10-a.conf:\nserver {\n  listen 127.0.0.1:1;\n}\n"))
    }

    @Test func missingFileReportsErrno() throws {
        let prefix = try makePrefix(["conf/tcplua.conf": "include nope.conf;"])
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let message = errorText { () throws(ConfigError) in
            try ConfigLoader.load(path: "conf/tcplua.conf", prefix: prefix)
        }
        #expect(message == #"open() "conf/nope.conf" failed (2: No such file or directory) in conf/tcplua.conf:1"#)
        let main = errorText { () throws(ConfigError) in try ConfigLoader.load(path: "conf/other.conf", prefix: prefix)
        }
        #expect(main == #"open() "conf/other.conf" failed (2: No such file or directory)"#)
    }

    @Test func absoluteMainPathIsShownAsWritten() throws {
        let prefix = try makePrefix(["conf/a.conf": "bogus;"])
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let message = errorText { () throws(ConfigError) in
            try ConfigLoader.load(path: prefix + "/conf/a.conf", prefix: "/")
        }
        #expect(message == "unknown directive \"bogus\" in \(prefix)/conf/a.conf:1")
    }

    @Test func directoryCannotBeRead() throws {
        let prefix = try makePrefix(["conf/d/x": ""])
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let message = errorText { () throws(ConfigError) in try ConfigLoader.load(path: "conf/d", prefix: prefix) }
        #expect(message == #"read() "conf/d" failed (21: Is a directory)"#)
    }
}
