import Config
import Glibc
import Ngx

/// `tcplua -s stop|quit|reopen`: signals the master named in the pid file. `reload` is refused until reload
/// exists (the master would only log that it ignores HUP, and the caller would believe the new config is live).
enum Signals {
    /// What `-s reload` prints (and exits 1).
    static let reloadNotSupported =
        "reload is not supported yet: restart tcplua (-s quit, then start it again) to apply a new configuration"

    static func send(_ name: String, config: MainConfig, prefix: String, log: ErrorLog) -> Int32 {
        let map: [String: Int32] = ["stop": SIGTERM, "quit": SIGQUIT, "reopen": SIGUSR1]
        guard let sig = map[name] else {
            log.log(.emerg, "invalid option: \"-s \(name)\"")
            return 1
        }
        let path = ErrorLog.resolve(config.pidPath, prefix: prefix)
        guard let f = fopen(path, "r") else {
            log.log(.error, "open() \"\(path)\" failed (\(errno): \(String(cString: strerror(errno))))")
            return 1
        }
        defer { fclose(f) }
        var buf = [CChar](repeating: 0, count: 32)
        guard fgets(&buf, 32, f) != nil,
            let pid = Int32(
                String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).filter(\.isNumber)
            ), pid > 0
        else {
            log.log(.error, "invalid PID number in \"\(path)\"")
            return 1
        }
        if kill(pid, sig) != 0 {
            log.log(.error, "kill(\(pid), \(sig)) failed (\(errno): \(String(cString: strerror(errno))))")
            return 1
        }
        return 0
    }
}
