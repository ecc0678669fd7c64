import CShim
import Config
import EventLoop
import Glibc
import LuaKit
import Ngx

/// A worker: one thread running the event loop, the VM inherited from the master. It runs
/// `init_worker_by_lua*`, accepts on the inherited listening sockets and serves sessions until told to stop:
/// TERM/INT stop now, QUIT stops accepting and lets sessions finish, WINCH (from the master, on a reload or an
/// upgrade) does the same but keeps the sessions parked between requests, USR1 reopens the logs.
final class Worker: EventHandler {
    let runtime: NgxRuntime
    let listeners: [Listener]
    let config: MainConfig
    var signalFd: Int32 = -1
    lazy var flushTimer = ActionTimer { [unowned self] in self.flushLogs() }
    /// worker_shutdown_timeout: the bound of a graceful stop.
    lazy var shutdownTimer = ActionTimer { [unowned self] in self.shutdownTimedOut() }

    /// Several workers accept on the same sockets: each registers them with EPOLLEXCLUSIVE (no thundering herd).
    let shared: Bool

    init(runtime: NgxRuntime, listeners: [Listener], config: MainConfig, shared: Bool) {
        self.shared = shared
        self.runtime = runtime
        self.listeners = listeners
        self.config = config
        super.init()
    }

    func run() -> Int32 {
        do {
            runtime.loop = try EventLoop()
        } catch {
            runtime.log.log(.emerg, error.description)
            return 1
        }
        let loop = runtime.loop
        runtime.log.wallMs = { [unowned(unsafe) loop] in loop.clock.wallMs }
        let signals: [Int32] = [SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGHUP, SIGWINCH]
        signalFd = signals.withUnsafeBufferPointer { tl_signalfd($0.baseAddress, Int32($0.count)) }
        do {
            try loop.register(signalFd, self, events: Events.read)
            for l in listeners where l.acceptsHere { try l.watch(runtime, shared: shared && l.slot == nil) }
        } catch {
            runtime.log.log(.emerg, "\(error)")
            return 1
        }
        if let src = config.tcp.initWorkerByLua {
            runtime.phase = .initWorker
            do {
                try LuaHandler(source: src, codeCache: true, prefix: runtime.prefix).runOnce(runtime.vm)
            } catch {
                runtime.log.log(.error, "init_worker_by_lua error: \(error.message)")
            }
        }
        runtime.phase = .session
        loop.arm(flushTimer, afterMs: 1000)
        loop.run()
        flushLogs()
        return 0
    }

    override func handleEvent(_ events: UInt32) {
        while true {
            var sender: Int32 = 0
            let sig = tl_signalfd_read_sender(signalFd, &sender)
            if sig <= 0 { return }
            switch sig {
            case SIGHUP where !config.masterProcess:
                refuseReload(sender)
            case SIGTERM, SIGINT:
                runtime.loop.stop()
            case SIGQUIT:
                stopGracefully(closingIdle: true)
            case SIGWINCH where config.masterProcess:  // from the master: a reload or an upgrade retires it
                stopGracefully(closingIdle: false)
            case SIGUSR1:
                runtime.log.reopen()
                for l in listeners {
                    l.server?.errorLog.reopen()
                    l.server?.accessLog?.reopen()
                }
            default:
                break
            }
        }
    }

    /// Stops accepting at once (the master keeps the sockets open for the workers that replace this one) and
    /// exits when the last session ends, or when worker_shutdown_timeout ends the rest. `closingIdle` (QUIT)
    /// closes the sessions parked in `ngx.wait_next_request()`; a retiring worker (WINCH) keeps serving them.
    private func stopGracefully(closingIdle: Bool) {
        for l in listeners { l.closeForGood() }
        runtime.onIdle = { [unowned self] in self.runtime.loop.stop() }
        runtime.beginGracefulStop(closingIdle: closingIdle)
        if runtime.activeSessions == 0 {
            runtime.loop.stop()
        } else if let ms = config.workerShutdownTimeout, !shutdownTimer.isArmed {
            runtime.loop.arm(shutdownTimer, afterMs: Int64(ms))
        }
    }

    /// `master_process off`: nothing can reload (the one process serves); say so, to `-s reload` as well.
    private func refuseReload(_ sender: Int32) {
        let reason = "reload needs master_process on; restart tcplua to apply a new configuration"
        runtime.log.log(.warn, reason)
        let pidPath = ErrorLog.resolve(config.pidPath, prefix: runtime.prefix)
        ReloadStatus.write(ReloadStatus.path(pidPath: pidPath), sender: sender, failure: reason)
    }

    /// A graceful stop took longer than worker_shutdown_timeout: the sessions left are closed.
    private func shutdownTimedOut() {
        runtime.log.log(
            .notice,
            "worker_shutdown_timeout passed: closing \(runtime.activeSessions) connection(s) still open"
        )
        runtime.closeAllSessions()
        if runtime.activeSessions == 0 { runtime.loop.stop() }
    }

    private func flushLogs() {
        for l in listeners { l.server?.accessLog?.flush() }
        if runtime.loop.isRunning { runtime.loop.arm(flushTimer, afterMs: 1000) }
    }
}
