-- Simulated time that stops advancing, and memory outside the Lua heap (issue
-- 11, hangs): case N runs with --seed N (tests/check_hostile.c).
local dsim = require "dsim"
local seed = dsim.seed()

local prog = {}
function prog.start(self)
  if self.name == "n1" and seed == 1 then self:set_timer("again", "0ms") end
  if self.name == "n1" and seed == 2 then self:send("n2", { type = "ping" }) end
  if self.name == "n1" and seed == 4 then self:set_timer("flood", "1ms") end
  if self.name == "n1" and seed == 5 then self:set_timer("timers", "1ms") end
end
function prog.timer(self, name)
  if name == "again" then self:set_timer("again", "0ms") end
  if name == "flood" then
    local body = ("z"):rep(1 << 20)
    for _ = 1, 1000 do self:send("n2", { type = "big", body = body }) end
  end
  if name == "timers" then
    for i = 1, 1e7 do self:set_timer("t" .. i, "1h") end
  end
end
function prog.receive(self, from, msg)
  if msg.type == "ping" then self:send(from, { type = "ping" }) end
end

dsim.network{ latency = "0ms" }
if seed == 4 or seed == 5 then dsim.limits{ memory = "48MiB" } end
dsim.cluster{ program = prog, count = 2 }
if seed == 3 then dsim.every("1ns", function() end) end -- @3
dsim.run("10s")
