-- GET /api/clientes?page=P&size=20, P at random between two pages (the same one for the first).
-- args: first page, last page
dofile(string.match(debug.getinfo(1, "S").source, "^@(.*/)") .. "common.lua")
local first, last

function init(args)
   seed_random()
   first, last = tonumber(args[1]), tonumber(args[2])
end

function request()
   return get(string.format("/api/clientes?page=%d&size=20", math.random(first, last)))
end
