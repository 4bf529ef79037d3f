-- Budget bypasses (issue 11, hangs): work that escaped the per-handler
-- instruction budget. Case N runs with --seed N; each must end as a failed
-- check "instruction budget exceeded" at once (tests/check_hostile.c).
local dsim = require "dsim"

local cases = {}
-- 1: a tree of coroutines, each under the hook's count of 1000 instructions
cases[1] = function()
  local function tree(d)
    for _ = 1, 50 do local x = d * 2 end
    if d > 0 then
      coroutine.wrap(tree)(d - 1)
      coroutine.wrap(tree)(d - 1)
    end
  end
  tree(40)
end
-- 2: a finalizer smuggled in by the metatable's own __index
cases[2] = function()
  local mt = setmetatable({}, { __index = function(t, k)
    if k == "__gc" then rawset(t, "__gc", function() while true do end end) end
  end })
  setmetatable({}, mt)
end
-- 3: an xpcall message handler after a budget kill (the hook has hooks off)
cases[3] = function() xpcall(function() while true do end end, function() while true do end end) end
-- 4: a __close handler of a coroutine a kill ended, run by coroutine.wrap
cases[4] = function()
  coroutine.wrap(function()
    local x <close> = setmetatable({}, { __close = function() while true do end end })
    while true do end
  end)()
end
-- 5: the same coroutine closed by a __close handler of the handler itself
cases[5] = function()
  local co = coroutine.create(function()
    local x <close> = setmetatable({}, { __close = function() while true do end end })
    while true do end
  end)
  local guard <close> = setmetatable({}, { __close = function() coroutine.close(co) end })
  coroutine.resume(co)
end
-- 6: string.rep of nothing, a quadrillion times (no allocation to notice)
cases[6] = function() return ("x"):rep(0):rep(1e15) end
-- 7: copies of a large string, one instruction each
cases[7] = function()
  local s = ("x"):rep(1 << 20)
  for i = 1, 1e6 do local t = s .. i end
end
-- 8: the same with table.concat
cases[8] = function()
  local t = { ("y"):rep(1 << 20), "z" }
  for _ = 1, 1e6 do local u = table.concat(t) end
end
-- 9: coroutines resumed in a loop that yields at once
cases[9] = function()
  while true do
    local co = coroutine.create(function() coroutine.yield() end)
    coroutine.resume(co)
  end
end
-- 10: an expensive pattern, called again and again (each call a few instructions)
cases[10] = function()
  local s = ("a"):rep(3000)
  for _ = 1, 1e9 do s:find(".-b") end
end

local prog = {}
function prog.receive(self, from, msg) cases[msg.case]() end
dsim.cluster{ program = prog, count = 1 }
local which = dsim.seed()
dsim.at("1ms", function() dsim.inject("n1", { type = "go", case = which }) end)
dsim.run("10ms")
