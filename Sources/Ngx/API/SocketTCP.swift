import CLuaJIT
import CShim
import EventLoop
import Glibc
import LuaKit

/// `sock = ngx.socket.tcp()` (also `ngx.socket.stream`), a non-blocking TCP client whose waits yield:
///
/// ```
/// ok, err = sock:connect(host, port, pool_name | {pool=, pool_size=, backlog=})   ok, err = sock:connect("unix:/p", opts?)
/// bytes, err = sock:send(data)            (string, number, boolean, nested array table)
/// data, err, partial = sock:receive(total, at_least?) | sock:receive(n) | sock:receive("*l" | "*a") | sock:receive()
/// data, err, partial = sock:receiveany(max)
/// iter = sock:receiveuntil(pattern, {inclusive=}); data, err, partial = iter(size?)
/// sock:settimeout(ms) | sock:settimeout(connect_ms, send_ms, read_ms) (the seed's) | sock:settimeouts(c, s, r)
/// ok, err = sock:setkeepalive(timeout?, size?)     n, err = sock:getreusedtimes()     ok, err = sock:close()
/// ok, err = sock:setoption(name, value)            value, err = sock:getoption(name)
/// ```
/// Context: process_by_lua* (a socket belongs to the session whose thread made it: "bad request" from another).
/// connect, send and the receives yield. Misuse raises; runtime failures return `nil, err` ("timeout",
/// "closed", "connection refused", ...). The Swift halves are here; their Lua wrappers in `tcpWrappers`.
extension NgxAPI {
    static func injectSocket(_ lua: Lua) {
        Cosocket.installMeta(lua)
        lua.newTable()
        lua.setField(-2, "socket")
        runLayer(lua, tcpWrappers, chunkName: "=ngx.socket") {
            let fns: [LuaFunction] = [
                tcpNew, tcpConnect, tcpSend, tcpReceive, tcpReceiveAny, tcpUntilCheck, tcpUntilStep, tcpClose,
                tcpSetTimeout, tcpSetTimeouts, tcpSetKeepalive, tcpGetReusedTimes, tcpSetOption, tcpGetOption,
            ]
            for f in fns + reqFunctions + [tcpSendWait] { lua.push(f) }
            FastPath.pushSocket(lua)
            tl_set_socket_park(unsafeBitCast(FastPath.sockReceivePark, to: UnsafeMutableRawPointer.self))
            lua_pushcclosure(lua.L, tl_yield_socket_park, 0)
            lua.push(setSocketMeta)
            return Int32(fns.count + reqFunctions.count + 4)
        }
        injectUDP(lua)
    }

    static let tcpWrappers = """
        local ngx, YIELD, results, yield, new, connect, send, receive, receiveany, until_check, until_step,
          close, settimeout, settimeouts, setkeepalive, getreusedtimes, setoption, getoption,
          req_socket, req_send, req_receive, req_receiveany, req_until_check, req_until_step, req_settimeout,
          req_settimeouts, req_peek, req_shutdown, send_wait, sfast, park_yield, set_meta = ...
        local setmetatable, type, select, tonumber = setmetatable, type, select, tonumber
        local ffi = require "ffi"
        local cast, ffi_string = ffi.cast, ffi.string
        local S_send = cast("int (*)(double, const char *, int)", sfast[1])
        local S_receive = cast("int (*)(double, int, double, double, const char **)", sfast[2])
        local S_consume = cast("void (*)(double, int)", sfast[3])
        local S_keepalive = cast("int (*)(double)", sfast[4])
        local S_connect = cast("int (*)(double, const char *, int, double)", sfast[5])
        local received = ffi.new("const char *[1]")  -- where S_receive leaves the address of the bytes
        local mt = {}
        -- Passes a Swift half's results through (their count too), or yields and fetches them.
        local function pass(a, ...)
          if a == YIELD then yield() return pass(results()) end
          return a, ...
        end
        mt.__index = mt
        -- `new` (the classic constructor) makes { userdata, FFI handle, the thread's coroutine when made on it
        -- (the FFI may park only there) } with `mt` and counts its arguments (OpenResty refuses any). It is
        -- ngx.socket.tcp itself, not called from a Lua function: a handler's trace then stitches around the call
        -- in the handler's own frame, where a stitch inside a Lua `tcp()` left the rest of its loop to the
        -- interpreter (the next trace, starting in `tcp()`, could not return to the frame below).
        set_meta(mt)
        local tcp = new
        ngx.socket.tcp = tcp
        ngx.socket.stream = tcp
        ngx.socket.connect = function(...)
          local sock = tcp()
          local ok, err = sock:connect(...)
          if not ok then return nil, err end
          return sock
        end
        -- Fixed arities (a vararg function starts no trace of its own: the proxy's handler ran twice the
        -- instructions), each with one parameter more than it takes: an argument there goes to the classic
        -- method, whose count check raises. (A missing argument cannot be told from a nil one.) Results keep
        -- OpenResty's counts.
        function mt.connect(self, host, port, opts, extra)
          local h = self[2]
          if h and opts == nil and extra == nil and type(host) == "string" and type(port) == "number"
             and S_connect(h, host, #host, port) == 1 then
            return 1
          end
          local ok, err
          if extra == nil then ok, err = connect(self, host, port, opts)
          else ok, err = connect(self, host, port, opts, extra) end
          if ok == YIELD then yield() return pass(results()) end
          if ok then return ok end
          return nil, err
        end
        -- send, the receives and receiveuntil over a socket's Swift halves (a TCP cosocket's, the client's)
        local function methods(mt, send, receive, receiveany, until_check, until_step)
          function mt.send(self, data, extra)
            local n, err
            if extra == nil then n, err = send(self, data) else n, err = send(self, data, extra) end
            if n == YIELD then yield() return pass(results()) end
            if n then return n end
            return nil, err
          end
          function mt.receive(self, pattern, at_least, extra)
            local data, err, partial
            if extra == nil then data, err, partial = receive(self, pattern, at_least)
            else data, err, partial = receive(self, pattern, at_least, extra) end
            if data == YIELD then yield() return pass(results()) end
            if data then return data end
            if partial == nil then return nil, err end
            return nil, err, partial
          end
          function mt.receiveany(self, max, extra)
            local data, err, partial
            if extra == nil then data, err, partial = receiveany(self, max)
            else data, err, partial = receiveany(self, max, extra) end
            if data == YIELD then yield() return pass(results()) end
            if data then return data end
            if partial == nil then return nil, err end
            return nil, err, partial
          end
          function mt.receiveuntil(self, pattern, opts, extra)
            local inclusive, err
            if extra == nil then inclusive, err = until_check(self, pattern, opts)
            else inclusive, err = until_check(self, pattern, opts, extra) end
            if inclusive == nil then return nil, err end  -- an empty pattern
            local done = false
            -- A sized read that met the pattern ends the next call with nil, nil (and the iterator starts over);
            -- a size below 1 is no size (OpenResty's).
            return function(size)
              if done then done = false return nil, nil end
              local a, b, c, d = until_step(self, pattern, inclusive, size)
              if a == YIELD then yield() a, b, c, d = results() end
              if d and (tonumber(size) or 0) >= 1 then done = true end
              if a ~= nil then return a end
              if c == nil then return nil, b end
              return nil, b, c
            end
          end
        end
        methods(mt, send, receive, receiveany, until_check, until_step)
        -- The FFI fast paths (`SocketTCP+FastPath.swift`) over the socket's handle at [2]; -1: the classic method.
        local classic_send, classic_receive = mt.send, mt.receive
        function mt.send(self, data, extra)
          local h = self[2]
          if h and type(data) == "string" and #data < 0x7fffffff and extra == nil then
            local n = S_send(h, data, #data)
            if n >= 0 then return n end
            if n == -2 then return pass(send_wait(self, #data)) end
          end
          return classic_send(self, data, extra)
        end
        function mt.receive(self, pattern, at_least, extra)
          local h = self[2]
          if h and extra == nil then
            local mode, total, least = -1, 0, 0
            if type(pattern) == "number" then
              if at_least == nil then mode, total, least = 0, pattern, pattern
              elseif type(at_least) == "number" then mode, total, least = 0, pattern, at_least end
            elseif at_least == nil and (pattern == nil or pattern == "*l") then
              mode = 1
            end
            if mode >= 0 then
              local n = S_receive(h, mode, total, least, received)
              if n >= 0 then
                local s = ffi_string(received[0], n)
                S_consume(h, n + mode)
                return s
              end
              -- not there yet: park through the FFI too, on the thread's own coroutine when it can yield
              -- (park_yield checks both, parks and yields; it returns nothing once resumed, false if it did not)
              local co = self[3]
              if co and park_yield(co, h, mode, total, least) == nil then
                local data, err, partial = results()
                if data then return data end
                if partial == nil then return nil, err end
                return nil, err, partial
              end
            end
          end
          return classic_receive(self, pattern, at_least, extra)
        end
        function mt.setkeepalive(self, ...)
          if select("#", ...) == 0 then
            local h = self[2]
            if h and S_keepalive(h) == 1 then return 1 end
          end
          return setkeepalive(self, ...)
        end
        mt.close = close
        mt.settimeout = settimeout
        mt.settimeouts = settimeouts
        mt.getreusedtimes = getreusedtimes
        mt.setoption = setoption
        mt.getoption = getoption

        -- ngx.req.socket(): the client connection (`ReqSocket.swift`)
        local reqmt = {}
        reqmt.__index = reqmt
        methods(reqmt, req_send, req_receive, req_receiveany, req_until_check, req_until_step)
        reqmt.settimeout = req_settimeout
        reqmt.settimeouts = req_settimeouts
        reqmt.shutdown = req_shutdown
        function reqmt.peek(self, n, extra)
          local data, err
          if extra == nil then data, err = req_peek(self, n) else data, err = req_peek(self, n, extra) end
          if data == YIELD then yield() return pass(results()) end
          if data then return data end
          return nil, err
        end
        ngx.req = {
          socket = function(...)
            local s, err = req_socket(...)
            if s == nil then return nil, err end
            return setmetatable({ s }, reqmt)
          end,
          start_time = ngx.start_time,
        }
        """

    // MARK: helpers

    /// Runs `body` with the running thread and the TCP socket at argument 1, which must be its session's.
    @inline(__always)
    static func withTCP(
        _ lua: Lua,
        _ fn: String,
        yielding: Bool = false,
        _ body: (LuaThread, TCPSocket) -> Int32
    )
        -> Int32
    {
        withCosocket(lua, fn, TCPSocket.self, yielding: yielding, body)
    }

    /// Runs `body` with the running thread and the cosocket of type `S` at argument 1 (the method's `self`):
    /// "bad argument" for anything else, "bad request" for another session's socket.
    @inline(__always)
    static func withCosocket<S: Cosocket>(
        _ lua: Lua,
        _ fn: String,
        _ type: S.Type,
        yielding: Bool,
        _ body: (LuaThread, S) -> Int32
    ) -> Int32 {
        withThread(lua, yielding: yielding) { t in
            guard let u = Cosocket.fromArg(lua) else { return lua.error(NgxStrings.socketArgs(fn)) }
            return u._withUnsafeGuaranteedRef { c in
                guard c.isTCP == (S.self == TCPSocket.self) else { return lua.error(NgxStrings.socketArgs(fn)) }
                let s = unsafeDowncast(c, to: S.self)
                guard s.owner === t.session else { return lua.error(NgxStrings.badRequest) }
                return body(t, s)
            }
        }
    }

    static func pushFailure(_ lua: Lua, _ err: String) -> Int32 {
        lua.pushNil()
        lua.push(err)
        return 2
    }

    // MARK: send

    static let tcpSend: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.top == 2 else {
            return lua.error("expecting 2 arguments (including the object), but got \(lua.top)")
        }
        return withTCP(lua, "send", yielding: true) { t, s in
            guard let c = s.connection else {
                s.logError(NgxStrings.logSendClosed)
                return pushFailure(lua, NgxStrings.closed)
            }
            if c.writer != nil { return pushFailure(lua, NgxStrings.socketBusyWriting) }
            c.ensureOutputBuffer()
            let before = c.output.readable
            guard appendValue(lua, 2, arg: 2, name: "send", depth: 0, strict: true, into: &c.output) else {
                c.output.writeIndex = c.output.readIndex + before
                c.releaseOutputIfEmpty()
                return Lua.raise
            }
            let bytes = c.output.readable - before
            c.sendTimeoutMs = s.sendTimeout
            c.flush()
            if c.output.readable == 0 || c.outputClosed || c.closed { return SendWait.pushSent(s, bytes, lua) }
            t.waitA = bytes
            t.waitSocket = s
            c.writer = t
            return t.suspend(on: SendWait.self)
        }
    }
}
