"""ngx.re against Python's `re`, computed in the test: each option on its own (i j o m s x u U d D a), numbered
and named captures, ctx.pos, find with nth, gmatch, sub/gsub templates and functions, OpenResty's error
strings, the `o` cache bound (lua_regex_cache_max_entries) and lua_regex_match_limit."""
import json
import re

import pytest


def stream(code, extra_stream=""):
    return ("stream {\n" + extra_stream + "\n    server {\n        listen 127.0.0.1:$PORT;\n"
            "        content_by_lua_block {\n" + code + "\n        }\n    }\n}\n")


def lua_str(b):
    """A Lua string literal holding the bytes `b`."""
    if isinstance(b, str):
        b = b.encode()
    return '"' + "".join(f"\\{c}" for c in b) + '"'


def run(tcplua, code, extra_stream=""):
    s = tcplua(stream('local cjson = require "cjson"\n' + code, extra_stream))
    return s, s.connect().recv_all().decode()


MATCH = '''
for _, c in ipairs(CASES) do
  local m, err = ngx.re.match(c[1], c[2], c[3])
  if not m then
    ngx.say(cjson.encode({err = err or cjson.null}))
  else
    local caps, named = {}, {}
    for k = 0, c[4] do caps[#caps + 1] = m[k] end
    for k, v in pairs(m) do if type(k) == "string" then named[k] = v end end
    ngx.say(cjson.encode({caps = caps, named = named}))
  end
end
'''


def py_match(subject, pattern, opts):
    """What ngx.re.match returns, from Python's re: {caps, named} or {err: None}."""
    flags = 0
    for o, f in (("i", re.I), ("m", re.M), ("s", re.S), ("x", re.X)):
        if o in opts:
            flags |= f
    utf = "u" in opts or "U" in opts
    subj = subject if utf else subject.encode()
    pat = pattern if utf else pattern.encode()
    if not utf:
        flags |= re.ASCII
    rx = re.compile(pat, flags)
    if "d" in opts:  # DFA: the longest match at the leftmost position where one starts
        for start in range(len(subj) + 1):
            ends = [e for e in range(start, len(subj) + 1) if rx.fullmatch(subj, start, e)]
            if ends:
                whole = subj[start:max(ends)]
                return {"caps": [whole.decode() if not utf else whole], "named": {}}
        return {"err": None}
    m = rx.match(subj) if "a" in opts else rx.search(subj)
    if not m:
        return {"err": None}
    dec = (lambda v: v) if utf else (lambda v: v.decode())
    caps = [dec(m.group(0))] + [False if g is None else dec(g) for g in m.groups()]
    named = {k: dec(v) for k, v in m.groupdict().items() if v is not None}
    return {"caps": caps, "named": named}


CASES = [
    ("Hello World", "world", ""), ("Hello World", "world", "i"),
    ("one\ntwo\nthree", "^two$", ""), ("one\ntwo\nthree", "^two$", "m"),
    ("a\nb", "a.b", ""), ("a\nb", "a.b", "s"),
    ("abc123", "[a-z]+ # letters\n (\\d+) # digits", ""), ("abc123", "[a-z]+ # letters\n (\\d+) # digits", "x"),
    ("h\u00e9llo", "h.llo", ""), ("h\u00e9llo", "h.llo", "u"), ("h\u00e9llo", "h.llo", "U"),
    ("xxabc", "abc", ""), ("xxabc", "abc", "a"), ("abcxx", "abc", "a"),
    ("abcd", "a|ab|abc", ""), ("abcd", "a|ab|abc", "d"), ("xabcd", "b|bc", "d"),
    ("2026-12-01", "(?P<y>\\d+)-(?P<m>\\d+)-(?P<d>\\d+)", ""), ("2026-12-01", "(?P<y>\\d+)-(?P<m>\\d+)", "jo"),
    ("ac", "(a)(b)?(c)", ""), ("ac", "(a)(x)?", "j"), ("abc", "z", "o"),
]


def test_each_option_against_python_re(tcplua):
    groups = [re.compile(p.encode()).groups for _, p, _ in CASES]
    cases = ",".join(f"{{{lua_str(s)}, {lua_str(p)}, {lua_str(o)}, {g}}}" for (s, p, o), g in zip(CASES, groups))
    _, out = run(tcplua, f"local CASES = {{{cases}}}\n" + MATCH)
    got = [json.loads(l) for l in out.splitlines()]
    assert len(got) == len(CASES)
    for case, g in zip(CASES, got):
        want = py_match(*case)
        if "caps" in g and not g["named"]:
            g["named"] = {}
        assert g == want, case
    # each option makes a difference here (so the check above can fail for any one of them)
    assert got[0] != got[1] and got[2] != got[3] and got[4] != got[5] and got[6] != got[7] and got[8] != got[9]
    assert got[11] != got[12] and got[14] != got[15]


def test_duplicate_names_with_D(tcplua):
    _, out = run(tcplua, r'''
        local m = ngx.re.match("hello, world", [[(?<w>\w+), (?<w>\w+)]], "D")
        ngx.say(cjson.encode(m.w), " ", m[1], " ", m[2])
        local m2 = ngx.re.match("b", [[(?<w>a)|(?<w>b)]], "D")
        ngx.say(cjson.encode(m2.w))
        local r, err = ngx.re.match("hello, world", [[(?<w>\w+), (?<w>\w+)]])
        ngx.say(tostring(r), " ", err)
    ''')
    lines = out.splitlines()
    # Python has no duplicate names: the same groups, numbered
    m = re.search(r"(\w+), (\w+)", "hello, world")
    assert lines[0] == json.dumps(list(m.groups())).replace(" ", "") + " hello world"
    assert lines[1] == '["b"]'
    assert lines[2] == ('nil pcre2_compile() failed: two named subpatterns have the same name (PCRE2_DUPNAMES '
                        'not set) in "(?<w>\\w+), (?<w>\\w+)" at "\\w+)"')


def test_ctx_find_nth_and_gmatch(tcplua):
    subject = "a1 b22 c333 d4444"
    _, out = run(tcplua, r'''
        local subj = "a1 b22 c333 d4444"
        local ctx, seen = {}, {}
        while true do
          local m = ngx.re.match(subj, [[([a-z])(\d+)]], "jo", ctx)
          if not m then break end
          seen[#seen + 1] = m[0] .. "@" .. ctx.pos
        end
        ngx.say(table.concat(seen, ","))
        ngx.say(ngx.re.find(subj, [[([a-z])(\d+)]], "", nil, 2))
        local fctx = {pos = 4}
        local from, to = ngx.re.find(subj, [[(\d+)]], "", fctx)
        ngx.say(from, " ", to, " ", fctx.pos)
        ngx.say(tostring(ngx.re.find(subj, [[(x)?b]], "", nil, 1)))
        ngx.say(select(3, ngx.re.find(subj, "b", "", nil, 3)))
        local all = {}
        for m in ngx.re.gmatch(subj, [[(?<l>[a-z])\d+]]) do all[#all + 1] = m.l .. m[0] end
        ngx.say(table.concat(all, ","))
        local it, err = ngx.re.gmatch(subj, "(")
        ngx.say(tostring(it), " ", err)
    ''')
    lines = out.splitlines()
    want = ",".join(f"{m.group(0)}@{m.end() + 1}" for m in re.finditer(r"([a-z])(\d+)", subject))
    assert lines[0] == want
    m = re.search(r"([a-z])(\d+)", subject)
    assert lines[1] == f"{m.start(2) + 1}{m.end(2)}"
    m = re.compile(r"(\d+)").search(subject, 3)
    assert lines[2] == f"{m.start() + 1} {m.end()} {m.end() + 1}"
    assert lines[3] == "nil"
    assert lines[4] == "nth out of bound"
    assert lines[5] == ",".join(m.group("l") + m.group(0) for m in re.finditer(r"(?P<l>[a-z])\d+", subject))
    assert lines[6] == 'nil pcre2_compile() failed: missing closing parenthesis in "("'


def template_to_python(t):
    return re.sub(r"\$(\$|\{(\w+)\}|(\d+))", lambda m: "$" if m.group(1) == "$"
                  else rf"\g<{m.group(2) or m.group(3)}>", t)


SUBS = [
    ("hello world", "o", "0"), ("a1b22c333", r"(\d+)", "<$1>"), ("a1b22c333", r"(?P<n>\d+)", "[${1}|$0|$$]"),
    ("john smith", r"(\w+) (\w+)", "$2, $1"), ("abc", "", "-"), ("aaa", "a*", "X"), ("x-y", "(z)?-", "[$1]"),
]


def test_sub_and_gsub_against_python_re(tcplua):
    lines = []
    for s, p, t in SUBS:
        lines.append(f"ngx.say(ngx.re.sub({lua_str(s)}, {lua_str(p)}, {lua_str(t)}))")
        lines.append(f"ngx.say(ngx.re.gsub({lua_str(s)}, {lua_str(p)}, {lua_str(t)}))")
    lines.append(r'ngx.say(ngx.re.gsub("hello world", [[\w+]], function(m) return m[0]:upper() end, "jo"))')
    lines.append(r'ngx.say(ngx.re.gsub("abc", "z", "y"))')
    lines.append(r'local r, n, err = ngx.re.gsub("abc", "b", "$x") ngx.say(tostring(r), " ", err)')
    lines.append(r'local r, n, err = ngx.re.sub("abc", "(", "x") ngx.say(tostring(r), " ", err)')
    _, out = run(tcplua, "\n".join(lines))
    got = out.splitlines()
    want = []
    for s, p, t in SUBS:
        py = template_to_python(t)
        one, n1 = re.subn(p, py, s, count=1)
        allr, n = re.subn(p, py, s)
        want += [f"{one}{n1}", f"{allr}{n}"]
    w, n = re.subn(r"\w+", lambda m: m.group(0).upper(), "hello world")
    want += [f"{w}{n}", "abc0", "nil failed to compile the replacement template",
             'nil pcre2_compile() failed: missing closing parenthesis in "("']
    assert got == want


def test_unknown_option_raises(tcplua):
    _, out = run(tcplua, r'''
        ngx.say(select(2, pcall(ngx.re.match, "a", "a", "jz")))
        ngx.say(select(2, pcall(ngx.re.gsub, "a", "a", "b", "Q")))
    ''')
    assert out.splitlines() == ['unknown flag "z" (flags "jz")', 'unknown flag "Q" (flags "Q")']


def test_compile_once_cache_is_bounded(tcplua):
    code = r'''
        for i = 1, 5 do
          local m = ngx.re.match("k" .. i, "k" .. i, "o")
          ngx.print(m[0], " ")
        end
        ngx.say(ngx.re.match("k3", "k3", "o")[0])
    '''
    s, out = run(tcplua, code, extra_stream="lua_regex_cache_max_entries 2;")
    assert out == "k1 k2 k3 k4 k5 k3\n"
    s.wait_log(r"\[warn\] \d+#0: \*\d+ lua exceeding regex cache max entries \(2\), client")
    assert s.error_log().count("lua exceeding regex cache max entries") == 1


@pytest.mark.parametrize("opts", ["", "j"])
def test_match_limit(tcplua, opts):
    code = f'''
        local m, err = ngx.re.match(string.rep("a", 25) .. "c", [[^(a|aa)+$]], "{opts}")
        ngx.say(tostring(m), " ", err)
        ngx.say(ngx.re.match("aaa", [[^(a|aa)+$]], "{opts}")[0])
    '''
    _, out = run(tcplua, code, extra_stream="lua_regex_match_limit 1000;")
    assert out.splitlines() == ["nil pcre_exec() failed: -47", "aaa"]


def test_empty_matches_step_over_utf8_characters_with_u(tcplua):
    word = "h\u00e9\u20acllo"
    _, out = run(tcplua, f'''
        local s = {lua_str(word)}
        ngx.say(ngx.re.gsub(s, "", "-", "u"))
        local bytewise = ngx.re.gsub(s, "", "-")
        ngx.say(#bytewise, " ", (bytewise:gsub("-", "")) == s)
        local n = 0
        for m in ngx.re.gmatch(s, "", "u") do n = n + 1 end
        ngx.say(n)
    ''')
    lines = out.splitlines()
    u, n = re.subn("", "-", word)
    assert lines[0] == f"{u}{n}"
    assert lines[1] == f"{len(re.sub(b'', b'-', word.encode()))} true"  # without u: between every byte
    assert lines[2] == str(len(re.findall("", word)))
