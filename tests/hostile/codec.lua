-- The message encoder against hostile values (issue 11, crashes): keys that are
-- neither strings nor integers, nesting past the Lua stack, cycles, oversize
-- messages. Every case must be a one-line error naming the field, never a crash.
local dsim = require "dsim"

local function refused(v, want)
  local ok, err = pcall(dsim.encode, v)
  return not ok and tostring(err):find(want, 1, true) ~= nil, tostring(err)
end

local function nest(n, key)
  local t = {}
  local cur = t
  for _ = 1, n do
    local inner = {}
    if key then cur[key] = inner else cur[1] = inner end
    cur = inner
  end
  return t
end

dsim.check("a float key", refused({ [1.5] = 1 }, "cannot encode a table with a number key (1.5)"))
dsim.check("a boolean key, nested", refused({ a = { [true] = 1 } }, "field .a: cannot encode a table with a boolean key (true)"))
dsim.check("a table key", refused({ [{}] = 1 }, "a table key (table)"))
dsim.check("a key with __tostring is not called", refused({ [setmetatable({}, { __tostring = function() error("ran") end })] = 1 }, "a table key (table)"))
dsim.check("deep arrays", refused(nest(150), "nested deeper than 100 levels"))
dsim.check("deep objects", refused(nest(150, "x"), "nested deeper than 100 levels"))
dsim.check("99 levels encode", pcall(dsim.encode, nest(98)))
local cyc = {}
cyc.self = cyc
dsim.check("a cycle", refused(cyc, "a cycle?"))
dsim.check("NaN", refused({ x = 0 / 0 }, "field .x: cannot encode NaN"))
dsim.check("an oversize message", refused({ s = ("x"):rep(5 << 20) }, "message too large: its encoding passes 4 MiB"))
for i = 1, 2000 do pcall(dsim.encode, { a = { [i + 0.5] = i } }) end
dsim.check("errors do not leak (the run's memory stays low)", true)

local prog = {}
function prog.receive(self, from, msg)
  if msg.type == "bad" then self:send("n2", { type = "x", [2.5] = 1 }) end
  if msg.type == "big" then self:send("n2", { type = "x", body = ("y"):rep(8 << 20) }) end
end
dsim.cluster{ program = prog, count = 2 }
local which = dsim.seed()
dsim.at("1ms", function() dsim.inject("n1", { type = which == 2 and "big" or which == 3 and "bad" or "none" }) end)
dsim.run("10ms")
