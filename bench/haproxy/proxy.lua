-- Framed proxy (4-byte big-endian length + payload) as an HAProxy Lua TCP service: one upstream socket per
-- client connection, opened when the applet starts.
local port = tonumber(os.getenv("UPSTREAM_PORT"))
core.register_service("proxy", "tcp", function(applet)
    local unpack = string.unpack
    local up = core.tcp()
    if not up:connect("127.0.0.1", port) then return end
    while true do
        local head = applet:receive(4)
        if head == nil or #head < 4 then break end
        local body = applet:receive((unpack(">I4", head)))
        if body == nil then break end
        up:send(head .. body)
        local h = up:receive(4)
        if h == nil then break end
        local b = up:receive((unpack(">I4", h)))
        if b == nil then break end
        applet:send(h .. b)
    end
    up:close()
end)
