import CLuaJIT
import CShim
import LuaKit

/// The message and traceback logged when a thread fails: in `tcp { }` the message and LuaJIT's
/// `luaL_traceback`; in `stream { }` as stream-lua writes them: a message that is not a string (`error(nil)`,
/// a table) reads "unknown reason", and the traceback is stream-lua's (`stack traceback:\ncoroutine 0:` then one
/// line per frame, the handler's chunk "in main chunk").
extension NgxAPI {
    /// The failed coroutine's error value as text, read without converting it (converting could allocate).
    static func errorMessage(_ co: OpaquePointer, stream: Bool) -> String {
        let lua = Lua(co)
        if stream {
            let t = lua.type(at: -1)
            guard t == .string || t == .number, let s = lua.string(-1) else { return NgxStrings.unknownReason }
            return s
        }
        return LuaVM.errorMessage(lua, at: -1)
    }

    /// The seed's form: the message, a newline, LuaJIT's traceback. Raises: inside a protected call only.
    static func errorTrace(_ lua: Lua, _ co: OpaquePointer) -> String {
        let message = errorMessage(co, stream: false)
        tl_traceback(lua.L, co, message)
        return lua.string(-1) ?? message
    }

    /// stream-lua's form; `chunk`: the thread runs a handler's chunk. Raises: inside a protected call only.
    static func streamErrorTrace(_ lua: Lua, _ co: OpaquePointer, chunk: Bool) -> String {
        let message = errorMessage(co, stream: true)
        tl_traceback_stream(lua.L, co, chunk ? 1 : 0)
        return message + "\n" + (lua.string(-1) ?? "")
    }
}
