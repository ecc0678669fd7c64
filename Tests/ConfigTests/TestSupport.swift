@testable import Config

/// The prefix of every in-memory configuration tree in these tests.
let testPrefix = "/srv/tcplua"
/// The main configuration file name, as the user writes it.
let mainConf = "conf/tcplua.conf"

/// An in-memory file system holding the main config (`conf/tcplua.conf`) and `extra` files (names relative to
/// the prefix).
func memoryFS(_ main: String?, extra: [String: String] = [:]) -> ConfigFileSystem {
    var files: [String: String] = [:]
    if let main { files["\(testPrefix)/\(mainConf)"] = main }
    for (name, text) in extra { files["\(testPrefix)/\(name)"] = text }
    return .inMemory(files)
}

/// Loads `text` as `conf/tcplua.conf` from an in-memory tree.
func load(_ text: String, extra: [String: String] = [:], overrides: String? = nil) throws(ConfigError) -> MainConfig {
    try ConfigLoader.load(path: mainConf, prefix: testPrefix, overrides: overrides, fs: memoryFS(text, extra: extra))
}

/// Parses `text` as `conf/tcplua.conf` from an in-memory tree.
func parse(_ text: String, extra: [String: String] = [:]) throws(ConfigError) -> [Directive] {
    try ConfigParser.parse(text: text, file: mainConf, prefix: testPrefix, fs: memoryFS(nil, extra: extra))
}

/// The description of the error `body` throws, or nil when it succeeds.
func errorText<T>(_ body: () throws(ConfigError) -> T) -> String? {
    do {
        _ = try body()
        return nil
    } catch {
        return error.description
    }
}

/// The single server of a config of the form `tcp { server { listen 6666; <body> } <tcpBody> }`.
func server(_ body: String, tcp tcpBody: String = "") throws(ConfigError) -> ServerConfig? {
    try load("tcp {\n\(tcpBody)\nserver {\nlisten 6666;\n\(body)\n}\n}\n").tcp.servers.first
}

/// A location in the main config file.
func at(_ line: Int, _ file: String = mainConf) -> SourceLocation { SourceLocation(file: file, line: line) }
