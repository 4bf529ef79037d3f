-- Preemption: a process busy with a long computation (no receive for millions
-- of instructions) does not stop the other processes of its node, because
-- each process runs a slice of reductions and goes to the back of the run
-- queue, as on the BEAM. A ticker that wakes every 1ms keeps ticking while the
-- computation runs.
local dsim = require "dsim"
local actors = require "dsim.actors"

actors.define("compute", function()
  local x = 0
  for i = 1, 5000000 do x = x + i % 7 end
  actors.publish("computed_at", actors.now())
  actors.publish("sum", x)
end)

actors.define("ticker", function()
  local ticks = {}
  for i = 1, 40 do
    actors.sleep("1ms")
    ticks[#ticks + 1] = actors.now()
  end
  actors.publish("ticks", ticks)
end)

actors.define("main", function()
  actors.spawn("compute")
  actors.spawn("ticker")
end)

local nodes = dsim.cluster{ program = actors.program{ boot = "main" }, count = 1 }
dsim.run("1s")
local pub = nodes[1].state.published
local during = 0
for _, t in ipairs(pub.ticks or {}) do if pub.computed_at and t < pub.computed_at then during = during + 1 end end
dsim.check("the computation finished", pub.sum == 15000000, tostring(pub.sum) .. " at " .. tostring(pub.computed_at))
dsim.check("the ticker ticked during the computation", during >= 3,
  during .. " ticks before " .. tostring(pub.computed_at) .. " s")
