import LuaKit

/// The state few sessions need, in one object made on first use, so that a session of an IPv4 client that
/// never calls `ngx.on_abort` pays 8 bytes for all of it (W4 counts bytes per idle connection).
final class SessionExtras {
    /// The client's address as text when it is not IPv4 (an IPv6 client, `unix:`).
    var remoteText: String?
    /// `ngx.on_abort(fn)`: the registry reference of `fn` (-2: none).
    var abortHandlerRef: Int32 = -2
    /// The thread running the on_abort handler once the client went away.
    var abortThread: LuaThread?
    /// The client's hang-up was seen (`lua_check_client_abort`): once per session.
    var clientAborted = false
    /// `ngx.ctx`: the registry reference of the session's table (-2: not made yet).
    var ctxRef: Int32 = -2
    /// `ngx.req.socket()`'s object, once a script asked for it.
    var clientSocket: ClientSocket?
    /// The light threads spawned in this session, alive or zombies (ended, results not yet waited for).
    var lightThreads: [OpaquePointer: LuaThread] = [:]
    /// How many of them have not ended.
    var liveLightThreads = 0
    /// The cosockets its threads created and have not closed: closed when its last thread ends (pooled
    /// connections stay pooled).
    var cosockets: Cosocket?
    /// Values of the `lua_add_variable` variables this session assigned.
    var variables: [String: [UInt8]] = [:]
    /// `lua_code_cache off`: the fresh VM its threads run in (nil: the worker's) and its environment's
    /// metatable.
    var freshVM: LuaVM?
    var freshEnvMeta: Int32 = -2
}

extension Session {
    var remoteText: String? {
        get { extras?.remoteText }
        set { if newValue != nil || extras != nil { madeExtras.remoteText = newValue } }
    }
    var abortHandlerRef: Int32 {
        get { extras?.abortHandlerRef ?? -2 }
        set { madeExtras.abortHandlerRef = newValue }
    }
    var abortThread: LuaThread? {
        get { extras?.abortThread }
        set { madeExtras.abortThread = newValue }
    }
    var ctxRef: Int32 {
        get { extras?.ctxRef ?? -2 }
        set { madeExtras.ctxRef = newValue }
    }
    var clientAborted: Bool {
        get { extras?.clientAborted ?? false }
        set { madeExtras.clientAborted = newValue }
    }

    var cosockets: Cosocket? {
        get { extras?.cosockets }
        set { if newValue != nil || extras != nil { madeExtras.cosockets = newValue } }
    }

    /// The value of a `lua_add_variable` variable (nil: not assigned in this session).
    func variable(_ name: String) -> [UInt8]? { extras?.variables[name] }
    func setVariable(_ name: String, _ value: [UInt8]?) {
        if value != nil || extras != nil { madeExtras.variables[name] = value }
    }

    var clientSocket: ClientSocket? {
        get { extras?.clientSocket }
        set { madeExtras.clientSocket = newValue }
    }

    var madeExtras: SessionExtras {
        if let e = extras { return e }
        let e = SessionExtras()
        extras = e
        return e
    }
}
