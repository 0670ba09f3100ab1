-- GET one of the paths listed in a file, at random (the searches).
-- args: the file, one path a line
dofile(string.match(debug.getinfo(1, "S").source, "^@(.*/)") .. "common.lua")
local paths = {}

function init(args)
   seed_random()
   for line in io.lines(args[1]) do table.insert(paths, line) end
end

function request()
   return get(paths[math.random(#paths)])
end
