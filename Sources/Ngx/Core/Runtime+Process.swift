import LuaKit
import SharedDict

/// What the process model needs of the runtime: which worker this process is (for `ngx.worker.*`), and
/// switching the process-wide state (the runtime the API functions reach, the zone list fresh VMs get) between
/// generations when the master builds a new one for a reload.
extension NgxRuntime {
    /// `ngx.worker.id()`: this worker's slot (0 to count-1); nil in the master (`init_by_lua*`).
    nonisolated(unsafe) public static var workerId: Int?
    /// `ngx.worker.count()`: the number of workers the configuration asks for.
    nonisolated(unsafe) public static var workerCount = 1
    /// `ngx.worker.pids()`: the pids of this worker's generation by slot (0: not running), in memory the master
    /// maps shared before it forks them and keeps current as it starts and reaps them (`WorkerPidTable`); nil
    /// with `master_process off`, where the one process is the worker.
    nonisolated(unsafe) public static var workerPids: UnsafeMutableBufferPointer<Int32>?

    /// Makes this runtime the one the API functions, the panic handler and the error log's clock use again
    /// (after building another one failed).
    public func makeCurrent() {
        NgxRuntime.shared = self
        LuaVM.onPanic = { [unowned self] message in self.log.log(.alert, message) }
        log.wallMs = { [unowned self] in self.loop.clock.wallMs }
    }

    /// The shared dict zones every VM of this process gets, by name, in declaration order.
    public static var sharedZoneList: [(name: String, zone: DictZone)] {
        get { NgxAPI.sharedZones }
        set { NgxAPI.sharedZones = newValue }
    }
}
