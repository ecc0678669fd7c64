import Foundation
import Testing

/// The Lua boundary is a rule: no Swift source calls a Lua function that raises (DESIGN.md, "The Lua
/// boundary"). The trampoline in the C shim raises once the Swift frame has returned; Swift enters Lua only
/// through `lua_resume` and `lua_cpcall` (`LuaVM.protected`).
@Suite struct LuaBoundaryTests {
    static let banned = ["lua_error(", "luaL_error(", "luaL_check", "luaL_arg", "luaL_opt", "lua_call("]

    static var sourcesDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
    }

    static func swiftFiles() -> [URL] {
        let e = FileManager.default.enumerator(at: sourcesDirectory, includingPropertiesForKeys: nil)
        var files: [URL] = []
        while let u = e?.nextObject() as? URL {
            if u.pathExtension == "swift" { files.append(u) }
        }
        return files
    }

    /// The offending lines of `text`: code (comments stripped) calling a raising Lua function.
    static func violations(in text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            return banned.contains { code.contains($0) } ? String(line) : nil
        }
    }

    @Test func theScannerFindsARaisingCall() {
        #expect(LuaBoundaryTests.violations(in: "let x = 1\n    luaL_checkinteger(L, 1)\n").count == 1)
        #expect(LuaBoundaryTests.violations(in: "/// never call lua_error( from Swift\n").isEmpty)
    }

    @Test func noSwiftSourceCallsARaisingLuaFunction() throws {
        let files = LuaBoundaryTests.swiftFiles()
        #expect(files.count > 20, "found \(files.count) Swift files under \(LuaBoundaryTests.sourcesDirectory.path)")
        for f in files {
            let text = try String(contentsOf: f, encoding: .utf8)
            let bad = LuaBoundaryTests.violations(in: text)
            #expect(bad.isEmpty, "\(f.lastPathComponent): \(bad)")
        }
    }
}
