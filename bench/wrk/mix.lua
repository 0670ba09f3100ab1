-- 90% reads, 10% writes: GET by id 90%, create 5%, partial update 5%.
-- args: the last seeded id, code prefix
dofile(string.match(debug.getinfo(1, "S").source, "^@(.*/)") .. "common.lua")
local last_id, prefix

function init(args)
   seed_random()
   last_id, prefix = tonumber(args[1]), args[2]
end

function request()
   local dice = math.random(100)
   if dice <= 90 then return get("/api/clientes/" .. math.random(last_id)) end
   if dice <= 95 then return create(prefix, false) end
   return update(last_id)
end
