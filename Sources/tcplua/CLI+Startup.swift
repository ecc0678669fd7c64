import Config
import Glibc
import Ngx
import Server

/// What the command line writes before the configuration's own logs are open, and the checks it makes of a
/// loaded configuration before serving or finishing `-t`.
extension TCPLua {
    /// nginx's start-up log: stderr in the command line's form (`tcplua: [emerg] ...`, up to `warn`), and a file
    /// in nginx's line format at `notice`: `-e FILE`, else `logs/error.log` under the prefix (nginx's compiled-in
    /// error log). A file that cannot be opened (no `logs/`) is left out silently; stderr still has every line.
    /// `-e stderr` keeps only stderr.
    func earlyLog(_ prefix: String) -> ErrorLog {
        let log = ErrorLog()
        log.addCommandLineStderr(level: .warn)
        let file = errorLog ?? LogTarget.defaultTarget.path
        if file != "stderr" { log.addFileIfPossible(file, prefix: prefix, level: .notice) }
        return log
    }

    /// Logs the configuration's warnings (unless `warn` is false: `-t -q`) and resolves `user`; throws the
    /// `[emerg]` message of a `user` that does not exist.
    func startupChecks(_ config: MainConfig, log: ErrorLog, warn: Bool) throws(StartupError) -> WorkerUser? {
        if warn {
            for w in config.warnings { log.log(.warn, w.description) }
        }
        switch WorkerUser.resolve(config.user) {
        case .none:
            return nil
        case .ignored(let message):
            if warn { log.log(.warn, message) }
            return nil
        case .switchTo(let user):
            return user
        case .failed(let message):
            throw StartupError(description: message)
        }
    }
}

extension TCPLua {
    /// `-p` that does not name a directory: nginx's one line, naming it.
    func prefixFailure(_ prefix: String) -> String? {
        var st = stat()
        if stat(prefix, &st) != 0 {
            let e = errno
            return "prefix \"\(prefix)\" cannot be used: stat() failed (\(e): \(String(cString: strerror(e))))"
        }
        return (st.st_mode & S_IFMT) == S_IFDIR ? nil : "prefix \"\(prefix)\" is not a directory"
    }

    /// A second start on a prefix whose master still runs: the one line naming its pid file (a stale file is
    /// not an obstacle: it is overwritten). A master started by a binary upgrade (`TCPLUA` set) is expected to
    /// find the old master running.
    func alreadyRunning(_ config: MainConfig, prefix: String) -> String? {
        guard getenv("TCPLUA") == nil else { return nil }
        let path = ErrorLog.resolve(config.pidPath, prefix: prefix)
        guard let pid = PidFile.runningMaster(path) else { return nil }
        return "tcplua is already running with this prefix: master \(pid) (\"\(path)\")"
    }
}

/// A configuration that loads but cannot be served, in nginx's `[emerg]` words.
struct StartupError: Error, CustomStringConvertible {
    var description: String
}
