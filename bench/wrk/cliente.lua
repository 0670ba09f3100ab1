-- GET /api/clientes/{id} of a random seeded Cliente, or with "update" a PATCH of one.
-- args: the last seeded id, ["update"]
dofile(string.match(debug.getinfo(1, "S").source, "^@(.*/)") .. "common.lua")
local last_id, updating

function init(args)
   seed_random()
   last_id, updating = tonumber(args[1]), args[2] == "update"
end

function request()
   if updating then return update(last_id) end
   return get("/api/clientes/" .. math.random(last_id))
end
