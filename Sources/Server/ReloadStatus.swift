import Glibc

/// How `tcplua -s reload` learns whether the master took the new configuration: the master answers each HUP
/// by writing one line to a file beside the pid file (`logs/tcplua.reload` for `logs/tcplua.pid`):
/// `PID ok` or `PID refused: REASON`, where PID is the process that sent the HUP (read from the signal), so
/// a command line waits for its own answer, not an earlier one. The file is replaced atomically (rename).
public enum ReloadStatus {
    /// The status file for a resolved pid file path.
    public static func path(pidPath: String) -> String {
        (pidPath.hasSuffix(".pid") ? String(pidPath.dropLast(4)) : pidPath) + ".reload"
    }

    /// Writes the answer to `sender`'s HUP: nil `failure` means the new configuration is in effect.
    static func write(_ path: String, sender: pid_t, failure: String?) {
        let line = "\(sender) " + (failure.map { "refused: " + $0.replacing("\n", with: " ") } ?? "ok") + "\n"
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        _ = line.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
        rename(tmp, path)
    }

    /// The answer to `sender`'s HUP if the file holds it: `.success(())` for ok, `.failure(reason)` refused.
    public static func answer(_ path: String, for sender: pid_t) -> Result<Void, Refusal>? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var buf = [CChar](repeating: 0, count: 8192)
        guard fgets(&buf, 8192, f) != nil else { return nil }
        let line = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let text = line.hasSuffix("\n") ? String(line.dropLast()) : line
        guard let space = text.firstIndex(of: " "), Int32(text[..<space]) == sender else { return nil }
        let rest = text[text.index(after: space)...]
        if rest == "ok" { return .success(()) }
        return .failure(Refusal(reason: String(rest.dropFirst("refused: ".count))))
    }

    /// Why the master refused a reload.
    public struct Refusal: Error {
        public var reason: String
    }
}
