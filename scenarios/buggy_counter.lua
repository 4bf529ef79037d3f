-- A deliberately buggy replicated counter, for seed sweeps: it fails on some
-- seeds only. Each node applies an increment and forwards it to its peers, but
-- it does not deduplicate: when the network duplicates a forwarded increment
-- (1% of messages here), that node counts it twice and the replicas diverge.
-- About a third of the seeds hit a duplicate; `dsim sweep` finds them, and
-- each printed reproduce command replays the same failure.
--
-- The fix (try it): give every increment an id and ignore ids already applied.
local dsim = require "dsim"

local counter = {}
function counter.start(self) self.value = 0 end
function counter.receive(self, from, msg)
  if msg.type == "incr" then                          -- from a client: apply, forward
    self.value = self.value + msg.by
    for _, peer in ipairs(self:peers()) do self:send(peer, { type = "inc", by = msg.by }) end
  elseif msg.type == "inc" then                       -- BUG: a duplicate is applied twice
    self.value = self.value + msg.by
  end
end

dsim.network{ latency = dsim.uniform("1ms", "5ms"), duplicate = "1%" }
local nodes = dsim.cluster{ program = counter, count = 3 }
for i = 1, 20 do
  dsim.at(dsim.ms(5 * i), function() nodes[dsim.random(3)]:inject{ type = "incr", by = 1 } end)
end
dsim.run("500ms")

for i = 1, 3 do
  local v = nodes[i].state.value
  dsim.check("n" .. i .. " counted every increment once", v == 20, "n" .. i .. " counted " .. v .. " of 20")
end
