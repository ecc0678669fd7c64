import Glibc
import LuaKit

/// `ngx.worker.id()` (0 to count-1 in a worker, 0 with `master_process off`, nil in `init_by_lua*`),
/// `ngx.worker.count()` (`worker_processes`), `ngx.worker.pid()` (this process), `ngx.worker.exiting()`
/// (true once a graceful stop, a reload or a binary upgrade retires this worker). Context: any. Never yields.
extension NgxAPI {
    static func injectWorker(_ lua: Lua) {
        lua.newTable(nrec: 4)
        let functions: [(String, LuaFunction)] = [
            ("id", workerId), ("count", workerCount), ("pid", workerPid), ("exiting", workerExiting),
        ]
        for (name, f) in functions {
            lua.push(f)
            lua.setField(-2, name)
        }
        lua.setField(-2, "worker")
    }

    static let workerId: LuaFunction = { L in
        let lua = Lua(L!)
        if let id = NgxRuntime.workerId { lua.push(id) } else { lua.pushNil() }
        return 1
    }
    static let workerCount: LuaFunction = { L in
        Lua(L!).push(NgxRuntime.workerCount)
        return 1
    }
    static let workerPid: LuaFunction = { L in
        Lua(L!).push(Int(getpid()))
        return 1
    }
    static let workerExiting: LuaFunction = { L in
        Lua(L!).push(NgxRuntime.shared.exiting)
        return 1
    }
}
