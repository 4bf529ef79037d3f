-- Every sandbox escape, tried and refused: from scenario code, and from inside a
-- node handler (node code is the untrusted part). Each refusal is a check;
-- tests/check_lua.c expects all of them to pass and counts them, so an attempt
-- that stops being refused (or stops being tried) fails the test.
local dsim = require "dsim"

local function attempts()
  return {
    { "io.open", function() return io.open("/etc/passwd") end, "io.open is not available" },
    { "io.write", function() io.write("x") end, "io.write is not available" },
    { "io.popen", function() return io.popen("id") end, "io.popen is not available" },
    { "os.execute", function() return os.execute("true") end, "os.execute is not available" },
    { "os.exit", function() os.exit(0) end, "os.exit is not available" },
    { "os.getenv", function() return os.getenv("HOME") end, "os.getenv is not available" },
    { "os.time", function() return os.time() end, "os.time is not available" },
    { "os.clock", function() return os.clock() end, "os.clock is not available" },
    { "os.date", function() return os.date() end, "os.date is not available" },
    { "os.remove", function() return os.remove("/tmp/x") end, "os.remove is not available" },
    { "debug.getinfo", function() return debug.getinfo(1) end, "debug.getinfo is not available" },
    { "debug.sethook", function() debug.sethook() end, "debug.sethook is not available" },
    { "debug.getregistry", function() return debug.getregistry() end, "debug.getregistry is not available" },
    { "package.loadlib", function() return package.loadlib("libc.so.6", "system") end, "package.loadlib is not available" },
    { "package.path", function() package.path = "/?.lua" end, "package is read-only" },
    { "loadfile", function() return loadfile("/etc/passwd") end, "loadfile is not available" },
    { "dofile", function() return dofile("/etc/passwd") end, "dofile is not available" },
    { "require of a C module", function() return require "socket.core" end, "module 'socket.core' not found" },
    { "require outside the folder", function() return require "../../etc/passwd" end, "dotted words" },
    { "require of an absolute path", function() return require "/etc/passwd" end, "dotted words" },
    { "string.dump", function() return string.dump(print) end, "string.dump is not available" },
    { "string method dump", function() return ("x").dump(function() end) end, "string.dump is not available" },
    { "load of a binary chunk", function() return assert(load("\27Lua\84\0")) end, "attempt to load a binary chunk" },
    { "load in binary mode", function() return load("return 1", "x", "b") end, "only text chunks" },
    { "load sees the sandbox", function() return load("return io.open")() end, "io.open is not available" },
    { "collectgarbage stop", function() collectgarbage("stop") end, "collectgarbage(\"stop\") is not available" },
    { "collectgarbage generational", function() collectgarbage("generational") end, "is not available" },
    { "a __gc finalizer", function() setmetatable({}, { __gc = print }) end, "__gc is not available" },
    { "a weak table", function() setmetatable({}, { __mode = "k" }) end, "__mode is not available" },
    { "collectgarbage count", function() return collectgarbage("count") end, "is not available" },
    { "the string metatable", function() getmetatable("").__index = {} end, "attempt to index a string value" },
    { "rawset on the string metatable", function() rawset(getmetatable(""), "x", 1) end, "table expected, got string" },
    { "string.format %p", function() return string.format("%p", {}) end, "'%p' is not available" },
    { "warn", function() warn("@on") end, "a nil value" },
    { "pcall cannot catch an abort", function() return rawget(_G, "io").lines end, "io.lines is not available" },
  }
end

local function refused(try)
  local ok, err = pcall(try[2])
  return not ok and tostring(err):find(try[3], 1, true) ~= nil, tostring(err)
end

for _, try in ipairs(attempts()) do
  local ok, msg = refused(try)
  dsim.check("scenario: " .. try[1] .. " is refused", ok, msg)
end

-- What stays must not leak addresses or depend on the process.
dsim.check("tostring hides addresses", tostring({}) == "table" and tostring(print) == "function")
dsim.check("string.format %s hides addresses", string.format("%s|%s", {}, print) == "table|function")
dsim.check("math.randomseed is inert", (function() math.randomseed(42); return true end)())
dsim.check("pairs refuses table keys", not pcall(function() for _ in pairs({ [{}] = 1 }) do end end))
dsim.check("next starts at the smallest key", next({ b = 1, a = 2, [2] = 0, [true] = 1 }) == true)
dsim.check("table.sort is stable", (function()
  local t = {}
  for i = 1, 200 do t[i] = { k = i % 3, i = i } end
  table.sort(t, function(a, b) return a.k < b.k end)
  for i = 2, #t do
    if t[i - 1].k == t[i].k and t[i - 1].i > t[i].i then return false end
  end
  return true
end)())

-- The same attempts from inside a node handler, and the scenario API, which a
-- node must not use (it could report its own verdicts or read other nodes).
local handle                                           -- the prober's own handle
local prober = {}
function prober.start(self)
  self.results = {}
  for _, try in ipairs(attempts()) do
    local ok, msg = refused(try)
    self.results[#self.results + 1] = { name = try[1], ok = ok, msg = msg }
  end
  local scenario_only = {
    { "dsim.check", function() dsim.check("a node reporting its own verdict", true) end },
    { "dsim.now", function() return dsim.now() end },
    { "dsim.seed", function() return dsim.seed() end },
    { "dsim.history", function() return dsim.history() end },
    { "dsim.nodes", function() return dsim.nodes() end },
    { "dsim.crash", function() dsim.crash(self.name) end },
  }
  for _, try in ipairs(scenario_only) do
    local ok, msg = pcall(try[2])
    self.results[#self.results + 1] = { name = try[1] .. " from a node",
                                        ok = not ok and msg:find("cannot be called from a node program") ~= nil, msg = msg }
  end
  local ok, msg = pcall(function() return handle.state end)
  self.results[#self.results + 1] = { name = "another node's state through a handle",
                                      ok = not ok and msg:find("node handles cannot be used from a node program") ~= nil, msg = msg }
end
local nodes = dsim.cluster{ program = prober, count = 1 }
handle = nodes[1]
dsim.run("10ms")
for _, r in ipairs(nodes[1].state.results) do
  dsim.check("node: " .. r.name .. " is refused", r.ok, r.msg)
end
