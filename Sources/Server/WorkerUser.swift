import Config
import EventLoop
import Glibc

/// The user and group workers switch to (`user USER [GROUP]`), resolved when the master starts, as nginx's
/// `ngx_set_user` does; applied in each worker after the fork and before it serves (`ngx_worker_process_init`).
public struct WorkerUser: Sendable, Equatable {
    public var name: String
    public var uid: uid_t
    public var gid: gid_t

    /// What `user` means for this process.
    public enum Resolution: Sendable, Equatable {
        /// No `user` directive.
        case none
        /// Not root: the directive is ignored, with this `[warn]` message.
        case ignored(String)
        /// Workers switch to this user.
        case switchTo(WorkerUser)
        /// A name that does not exist: this `[emerg]` message, and the start (or `-t`) fails.
        case failed(String)
    }

    /// Looks `setting` up: ignored unless `euid` is 0; the group defaults to the user's primary group (nginx
    /// looks up a group named like the user, which fails for `nobody` on Debian, where it is `nogroup`).
    public static func resolve(_ setting: UserSetting?, euid: uid_t = geteuid()) -> Resolution {
        guard let setting else { return .none }
        guard euid == 0 else {
            return .ignored(
                "the \"user\" directive makes sense only if the master process runs with super-user privileges, "
                    + "ignored in \(setting.location)"
            )
        }
        guard let pw = getpwnam(setting.user) else {
            return .failed("getpwnam(\"\(setting.user)\") failed in \(setting.location)")
        }
        var user = WorkerUser(name: setting.user, uid: pw.pointee.pw_uid, gid: pw.pointee.pw_gid)
        if let group = setting.group {
            guard let gr = getgrnam(group) else {
                return .failed("getgrnam(\"\(group)\") failed in \(setting.location)")
            }
            user.gid = gr.pointee.gr_gid
        }
        return .switchTo(user)
    }

    /// Switches this process (a freshly forked worker) to the user: group, supplementary groups, then user.
    /// Returns nginx's `[emerg]` message on failure (the worker must then exit).
    public func apply() -> String? {
        if setgid(gid) != 0 { return "setgid(\(gid)) failed (\(errno): \(Sys.strerror(errno)))" }
        if initgroups(name, gid) != 0 {
            return "initgroups(\(name), \(gid)) failed (\(errno): \(Sys.strerror(errno)))"
        }
        if setuid(uid) != 0 { return "setuid(\(uid)) failed (\(errno): \(Sys.strerror(errno)))" }
        return nil
    }
}
