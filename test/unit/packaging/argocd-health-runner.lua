-- Runs an Argo CD resource health script the way Argo CD's Lua VM (gopher-lua, Lua 5.1) does:
-- the object is the global `obj`; only the base library, `table` and a safe `os` (time, date,
-- clock) are open; `string`, `math`, `io` and string methods are not. Prints the returned status,
-- a newline, then the message.
--   lua5.1 argocd-health-runner.lua health.lua < object.lua   (object.lua: a Lua table literal)
local scriptPath = arg[1]
if scriptPath == nil then
  io.stderr:write("usage: lua5.1 argocd-health-runner.lua HEALTH_SCRIPT < OBJECT_LITERAL\n")
  os.exit(2)
end

local objChunk = assert(loadstring("return " .. io.read("*a"), "=object"))
setfenv(objChunk, {})
local obj = objChunk()

local file = assert(io.open(scriptPath, "r"))
local source = file:read("*a")
file:close()
local health = assert(loadstring(source, "=" .. scriptPath))

local env = {
  obj = obj,
  _VERSION = _VERSION,
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall,
  rawequal = rawequal, rawget = rawget, rawset = rawset, select = select,
  getmetatable = getmetatable, setmetatable = setmetatable,
  tonumber = tonumber, tostring = tostring, type = type, unpack = unpack, xpcall = xpcall,
  table = { concat = table.concat, insert = table.insert, maxn = table.maxn, remove = table.remove,
            sort = table.sort },
  os = { clock = os.clock, date = os.date, time = os.time },
}
env._G = env
setfenv(health, env)
-- Without Argo CD's string library, ("x"):sub() is not available either.
getmetatable("").__index = {}

local ok, result = pcall(health)
if not ok then
  io.stderr:write("health script failed: " .. tostring(result) .. "\n")
  os.exit(1)
end
if type(result) ~= "table" then
  io.stderr:write("health script returned " .. type(result) .. ", not a table\n")
  os.exit(1)
end
io.write(tostring(result.status), "\n", tostring(result.message))
