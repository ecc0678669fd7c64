import CLuaJIT
import Glibc
import LuaKit

/// `lua_check_client_abort on`: a client that hangs up while its handler is not reading (it sleeps, waits
/// to print, waits on a cosocket) ends the session where it is parked, logged at `[info]` as nginx does
/// ("client prematurely closed connection"); with `ngx.on_abort(fn)` registered, `fn` runs in a thread of its
/// own instead, and the handler carries on (its next receive says "closed"). A hang-up while the handler
/// reads is what that read returns, as without the directive. Bytes the client sent before its FIN are not
/// an abort (they are peeked for, as nginx does): the handler reads them, then the close.
extension Session {
    func peerHungUpWhileNotRead(_ c: Connection) {
        guard server.config.checkClientAbort, !clientAborted, thread != nil, !stillHasBytes(c) else { return }
        clientAborted = true
        guard abortHandlerRef != -2 else {
            log(.info, "client prematurely closed connection")
            abort(drain: false)
            return
        }
        log(.info, "client prematurely closed connection, running the ngx.on_abort handler")
        let ref = abortHandlerRef
        abortHandlerRef = -2
        let t = LuaThread(runtime: runtime, session: self)
        var made: (OpaquePointer, Int32)?
        if let e = vm.protected({ lua in
            lua.pushRef(ref)
            lua.unref(ref)
            guard let co = lua_newthread(lua.L) else { return }
            lua.insert(at: -2)
            lua_xmove(lua.L, co, 1)
            made = (co, lua.ref())
        }) {
            log(.error, "failed to run the ngx.on_abort handler: " + e.message)
            abort(drain: false)
            return
        }
        guard let (co, threadRef) = made else { return }
        t.adopt(co, ref: threadRef)
        abortThread = t
        t.resume()
    }

    /// Whether unread client bytes are waiting in the kernel (FIN after a request is not an abort yet).
    private func stillHasBytes(_ c: Connection) -> Bool {
        if c.input.readable > 0 { return true }
        var byte: UInt8 = 0
        return recv(c.fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) > 0
    }

    /// The on_abort thread ended: the session goes on as if it had not been there.
    func abortThreadEnded(_ t: LuaThread) {
        guard t === abortThread else { return }
        abortThread = nil
        guard thread == nil, !hasLiveLightThreads else { return }
        if connection.closed {
            connectionClosed(connection)
        } else {
            connection.finish()
        }
    }

    /// Drops the reference to an on_abort handler that will not run (the entry thread ended).
    func releaseAbortHandler() {
        guard abortHandlerRef != -2 else { return }
        vm.lua.unref(abortHandlerRef)
        abortHandlerRef = -2
    }
}
