import SharedDict

/// The strings `ngx.shared.DICT` methods return or raise (OpenResty's).
extension NgxStrings {
    public static let nilKey = "nil key"
    public static let emptyKey = "empty key"
    public static let keyTooLong = "key too long"
    public static let valueIsList = "value is a list"
    public static let badZone = "bad \"zone\" argument"
    public static let badExptime = "bad \"exptime\" argument"
    public static let badInitTTL = "bad \"init_ttl\" argument"
    public static let initRequired = "must provide \"init\" when providing \"init_ttl\""
    public static func badInit(_ type: String) -> String { "bad init arg: number expected, got \(type)" }
    /// `add`/`replace` of nil (ngx_*_lua_ffi_shdict_store), soft.
    public static let nilAddOrReplace = "attempt to add or replace nil values"

    /// `nil, err` / `false, err` of a failed dictionary operation.
    public static func dictError(_ e: DictError) -> String {
        switch e {
        case .exists: return "exists"
        case .notFound: return "not found"
        case .noMemory: return "no memory"
        case .notANumber: return "not a number"
        case .notAList: return "value not a list"
        }
    }

    /// A value of a type a dictionary cannot store (a table, a function ...): returned as `nil, err`.
    public static let badValueTypeSoft = "bad value type"
    /// The argument counts stream-lua's C list methods and `flush_expired`/`get_keys` check.
    public static func listArgCount(_ n: Int32, _ got: Int32) -> String {
        "expecting \(n) arguments, but only seen \(got)"
    }
    public static func maxArgCount(_ got: Int32) -> String { "expecting 1 or 2 argument(s), but saw \(got)" }

    public static func badKeyType(_ fn: String, _ type: String) -> String {
        "bad argument #1 to '\(fn)' (string expected, got \(type))"
    }

    public static func numberExpected(_ arg: Int32, _ fn: String, _ type: String) -> String {
        "bad argument #\(arg) to '\(fn)' (number expected, got \(type))"
    }
}
