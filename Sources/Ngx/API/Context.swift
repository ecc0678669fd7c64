import CLuaJIT
import Glibc
import LuaKit

/// `ngx.ctx`: one table per session, made on first use and kept across `ngx.wait_next_request()` (the seed's
/// connection_session is the request context); `ngx.ctx = t` replaces it. `ngx.var.NAME`: the access log's
/// variables (`remote_addr`, `remote_port`, `server_addr`, `server_port`, `connection`,
/// `connection_requests`, `bytes_sent`, `bytes_received`, `session_time`, `request_time`, `status`, `pid`,
/// `msec`, `time_local`, `time_iso8601`, `protocol`), `binary_remote_addr`, `nginx_version` and `hostname`, as
/// strings, names in any case; nil for a name tcplua does not know; assigning raises `variable "x" not
/// changeable` (or "not found for writing" for an unknown name), except for the variables declared by
/// `lua_add_variable $name`, which each session reads (nil until assigned) and assigns (a value passed through
/// tostring; nil unsets it) on its own. `ngx.get_phase()`: `"init"`,
/// `"init_worker"`, `"preread"`, `"content"`, `"log"` or `"timer"`. Context: ctx and var in handlers; get_phase anywhere. Never yield.
extension NgxAPI {
    static func injectContext(_ lua: Lua) {
        lua.newTable()
        lua.newTable(nrec: 2)
        lua.push(varIndex)
        lua.setField(-2, "__index")
        lua.push(varNewIndex)
        lua.setField(-2, "__newindex")
        lua.setMetatable(-2)
        lua.setField(-2, "var")
        lua.push(getPhase)
        lua.setField(-2, "get_phase")
        lua.newTable(nrec: 2)  // the ngx table's own metatable: ngx.ctx
        lua.push(ngxIndex)
        lua.setField(-2, "__index")
        lua.push(ngxNewIndex)
        lua.setField(-2, "__newindex")
        lua.setMetatable(-2)
    }

    /// `ngx.ctx` (any other missing key of `ngx` is nil).
    static let ngxIndex: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.type(at: 2) == .string, lua.string(2) == "ctx" else {
            lua.pushNil()
            return 1
        }
        return withThread(lua) { t in
            let s = t.session
            if s.ctxRef == -2 {
                lua.newTable()
                lua.pushValue(at: -1)
                s.ctxRef = lua.ref()
            } else {
                lua.pushRef(s.ctxRef)
            }
            return 1
        }
    }

    /// `ngx.ctx = t`; any other new key of `ngx` is stored as given.
    static let ngxNewIndex: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.type(at: 2) == .string, lua.string(2) == "ctx" else {
            lua_rawset(lua.L, 1)
            return 0
        }
        guard lua.type(at: 3) == .table else { return lua.error(NgxStrings.ctxNotTable(lua.typeName(at: 3))) }
        return withThread(lua) { t in
            let s = t.session
            if s.ctxRef != -2 { s.vm.lua.unref(s.ctxRef) }
            lua.pushValue(at: 3)
            s.ctxRef = lua.ref()
            return 0
        }
    }

    /// One single-variable line writer per variable, made on first use.
    nonisolated(unsafe) static var variableWriters: [AccessLogVariable: AccessLogLineWriter] = [:]

    static let varIndex: LuaFunction = { L in
        let lua = Lua(L!)
        switch lua.type(at: 2) {
        case .string: break
        case .number:  // a capture id to resty.core: stream has none
            lua.pushNil()
            return 1
        default: return lua.error(NgxStrings.badVariableName)
        }
        let name = variableName(lua)
        return withThread(lua) { t in
            let s = t.session
            if addedVariables.contains(name) {
                guard let v = s.variable(name) else {
                    lua.pushNil()
                    return 1
                }
                v.withUnsafeBytes { lua.push(bytes: $0.baseAddress, count: $0.count) }
                return 1
            }
            switch name {  // the names beside the access log's (`otherVariables`)
            case "binary_remote_addr":
                guard s.remoteText == nil else {
                    lua.pushNil()
                    return 1
                }
                var be = s.address.bigEndian
                withUnsafeBytes(of: &be) { lua.push(bytes: $0.baseAddress, count: 4) }
                return 1
            case "nginx_version":
                lua.push(NgxStrings.nginxVersion)
                return 1
            case "hostname":
                lua.push(hostName)
                return 1
            default: break
            }
            let v = AccessLogVariable(name: name)
            guard v != .unknown else {
                lua.pushNil()
                return 1
            }
            let writer = variableWriters[v] ?? AccessLogLineWriter(format: AccessLogFormat("$" + name), capacity: 256)
            variableWriters[v] = writer
            writer.append(s.accessRecord(withServer: true))
            lua.push(bytes: writer.buffer.base, count: max(0, writer.buffer.count - 1))  // without the newline
            writer.buffer.removeAll()
            return 1
        }
    }

    /// The name at argument 2, lowercased as nginx looks variables up (ngx_hash_strlow).
    static func variableName(_ lua: Lua) -> String {
        let name = lua.string(2) ?? ""
        return name.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) ? name.lowercased() : name
    }

    /// `$hostname`: gethostname(), read once.
    static let hostName: String = {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "localhost" }
        return String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// What `varIndex` answers beside the access log's variables (each a case of its `switch`).
    static let otherVariables: Set<String> = ["binary_remote_addr", "nginx_version", "hostname"]

    /// The names `lua_add_variable` declared (set by the master before it runs Lua).
    nonisolated(unsafe) public static var addedVariables: Set<String> = []

    static let varNewIndex: LuaFunction = { L in
        let lua = Lua(L!)
        guard lua.type(at: 2) == .string else { return lua.error(NgxStrings.badVariableName) }
        let name = variableName(lua)
        guard addedVariables.contains(name) else {
            let builtin = AccessLogVariable(name: name) != .unknown || otherVariables.contains(name)
            return lua.error(builtin ? NgxStrings.variableNotChangeable(name) : NgxStrings.variableNotFound(name))
        }
        // resty.core's var_set passes anything else through tostring
        let value: [UInt8]?
        switch lua.type(at: 3) {
        case .string, .number: value = lua.bytes(3).map { Array($0) }
        case .nil: value = nil
        case .boolean: value = Array((lua.toBool(3) ? "true" : "false").utf8)
        default:
            switch callToString(lua, 3) {  // the __tostring of a table that has one (ngx.log's helper)
            case true?:
                value = Array(lua.bytes(-1) ?? UnsafeRawBufferPointer(start: nil, count: 0))
                lua.pop()
            case false?:
                return Lua.raise  // the metamethod's error, on top
            case nil:  // tostring's own text
                let address = String(UInt(bitPattern: lua_topointer(lua.L, 3)), radix: 16)
                value = Array("\(lua.typeName(at: 3)): 0x\(address)".utf8)
            }
        }
        return withThread(lua) { t in
            t.session.setVariable(name, value)
            return 0
        }
    }

    static let getPhase: LuaFunction = { L in
        let lua = Lua(L!)
        switch NgxRuntime.shared.phase {
        case .initByLua: lua.push(static: "init")
        case .initWorker: lua.push(static: "init_worker")
        case .session:
            guard let s = currentSession else {
                lua.push(static: "content")
                break
            }
            switch s.stage {
            case _ where s.isTimer: lua.push(static: "timer")
            case .preread: lua.push(static: "preread")
            case .content: lua.push(static: "content")
            case .log: lua.push(static: "log")
            }
        }
        return 1
    }
}
