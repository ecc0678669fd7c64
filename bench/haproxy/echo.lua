-- Framed echo (4-byte big-endian length + payload) as an HAProxy Lua TCP service.
core.register_service("echo", "tcp", function(applet)
    local unpack = string.unpack
    while true do
        local head = applet:receive(4)
        if head == nil or #head < 4 then return end
        local body = applet:receive((unpack(">I4", head)))
        if body == nil then return end
        applet:send(head .. body)
    end
end)
