-- R1 (bench/run.py): ngx.re.match(line, pattern, "jo") on a 100-byte line, in a loop for $SECONDS s;
-- the same file for tcplua and OpenResty. Returns "matches seconds".
local line = '127.0.0.1 - - [01/Dec/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 612 "-" "curl/8.1.2 (xyz)"'
local pattern = [=[^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+) [^"]*" (\d+) (\d+)]=]
assert(#line == 100)
local match, now, update = ngx.re.match, ngx.now, ngx.update_time
local m = assert(match(line, pattern, "jo"))
assert(m[5] == "200" and m[2] == "01/Dec/2026:10:00:00 +0000")
update()
local t0, n, limit = now(), 0, $SECONDS
while true do
    for _ = 1, 1000 do
        m = match(line, pattern, "jo")
    end
    n = n + 1000
    update()
    if now() - t0 >= limit then break end
end
update()
return n .. " " .. (now() - t0)
