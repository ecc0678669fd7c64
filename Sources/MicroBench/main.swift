import Config
import EventLoop
import Glibc
import LuaKit
import Ngx

/// `tcplua-microbench`: the hot path in one process, without the network stack between two processes: a
/// session running the framed-echo handler (`ngx.receive` + `ngx.print` + `ngx.wait_next_request`) on one end
/// of a socketpair, this loop driving the other end. Prints ns per round trip and, when run with
/// bench/out/malloc_count.so preloaded, heap allocations per round trip in steady state.

let handler = """
    local receive, print, wait = ngx.receive, ngx.print, ngx.wait_next_request
    local byte = string.byte
    while true do
      local head = receive(4)
      if not head then return end
      local a, b, c, d = byte(head, 1, 4)
      local body = receive(((a * 256 + b) * 256 + c) * 256 + d)
      if not body then return end
      print(head, body)
      wait()
    end
    """

typealias Counter = @convention(c) () -> UInt
let mallocCount: Counter? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_count_get").map {
    unsafeBitCast($0, to: Counter.self)
}

func main() throws {
    let args = CommandLine.arguments
    let iterations = args.count > 1 ? Int(args[1]) ?? 200_000 : 200_000
    let payload = args.count > 2 ? Int(args[2]) ?? 64 : 64

    let log = ErrorLog.stderr(level: .error)
    let runtime = NgxRuntime(loop: try EventLoop(), vm: LuaVM(), log: log, prefix: "/tmp/")
    runtime.phase = .session
    var config = ServerConfig()
    config.handler = .inline(code: handler, chunkName: "microbench", firstLine: 1)
    config.accessLog = nil
    config.errorLogs = [LogTarget(path: "stderr", level: .error)]
    let server = try runtime.makeServers([config])[0]

    var fds: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { throw SysError("socketpair") }
    for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    runtime.startSession(fd: fds[0], address: 0x7f00_0001, port: 0, server: server)
    let client = fds[1]

    var frame = [UInt8](repeating: UInt8(ascii: "x"), count: 4 + payload)
    frame[0] = UInt8(payload >> 24 & 255)
    frame[1] = UInt8(payload >> 16 & 255)
    frame[2] = UInt8(payload >> 8 & 255)
    frame[3] = UInt8(payload & 255)
    var reply = [UInt8](repeating: 0, count: frame.count)

    func roundTrip() {
        _ = frame.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
        var got = 0
        while got < reply.count {
            runtime.loop.runOnce(maxWaitMs: 0)
            let n = reply.withUnsafeMutableBytes { read(client, $0.baseAddress! + got, $0.count - got) }
            if n > 0 { got += n }
        }
    }

    for _ in 0..<10_000 { roundTrip() }
    guard reply == frame else { fatalError("echo mismatch") }
    let m0 = mallocCount?() ?? 0
    var t0 = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t0)
    for _ in 0..<iterations { roundTrip() }
    var t1 = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t1)
    let m1 = mallocCount?() ?? 0
    let ns = Double((t1.tv_sec - t0.tv_sec) * 1_000_000_000 + (t1.tv_nsec - t0.tv_nsec)) / Double(iterations)
    print("in-process round trip (\(payload) B payload, \(iterations) iterations): \(Int(ns)) ns")
    if mallocCount != nil {
        let per = Double(m1 - m0) / Double(iterations)
        print("heap allocations in steady state: \(m1 - m0) over \(iterations) round trips = \(per) per round trip")
    } else {
        print("heap allocations: not counted (run with LD_PRELOAD=bench/out/malloc_count.so)")
    }
}

try main()
