-- POST /api/clientes, each with a new code; "idempotent" adds a new Idempotency-Key to each.
-- args: code prefix, ["idempotent"]
dofile(string.match(debug.getinfo(1, "S").source, "^@(.*/)") .. "common.lua")
local prefix, idempotent

function init(args)
   prefix, idempotent = args[1], args[2] == "idempotent"
end

function request()
   return create(prefix, idempotent)
end
