import Glibc
import LuaKit

/// `ngx.worker.id()` (0 to count-1 in a worker, 0 with `master_process off`, nil in `init_by_lua*`),
/// `ngx.worker.count()` (`worker_processes`), `ngx.worker.pid()` (this process), `ngx.worker.exiting()`
/// (true once a graceful stop, a reload or a binary upgrade retires this worker), `ngx.worker.pids()` (its
/// generation's worker pids in slot order, as OpenResty lists them: up to the first slot not running, this
/// process always; `nil, "API disabled in the current context"` in `init_by_lua*` and `init_worker_by_lua*`).
/// Context: any. Never yields.
extension NgxAPI {
    static func injectWorker(_ lua: Lua) {
        lua.newTable(nrec: 4)
        let functions: [(String, LuaFunction)] = [
            ("id", workerId), ("count", workerCount), ("pid", workerPid), ("exiting", workerExiting),
            ("pids", workerPids),
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

    static let workerPids: LuaFunction = { L in
        let lua = Lua(L!)
        if NgxRuntime.workerId == nil || NgxRuntime.shared.phase == .initWorker {
            lua.pushNil()
            lua.push(static: "API disabled in the current context")
            return 2
        }
        let own = Int32(getpid())
        var pids: [Int32] = []
        if let table = NgxRuntime.workerPids, let slot = NgxRuntime.workerId, slot < table.count {
            for (i, pid) in table.enumerated() {
                if i == slot {
                    pids.append(own)  // the master may not have written it yet
                } else if pid == 0 {
                    break  // a slot being respawned ends the list, as in OpenResty
                } else {
                    pids.append(pid)
                }
            }
        }
        if !pids.contains(own) { pids.append(own) }
        lua.newTable(narr: Int32(pids.count))
        for (i, pid) in pids.enumerated() {
            lua.push(Int(pid))
            lua.rawSetI(-2, Int32(i + 1))
        }
        return 1
    }
}
