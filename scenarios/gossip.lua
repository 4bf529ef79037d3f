-- Gossip under a partition: the example of the scenario API. A value injected
-- at n1 while {n1, n2} is cut off from {n3, n4, n5} stays on n1's side; a
-- periodic anti-entropy round (each node re-sends what it has seen) carries it
-- across once the partition heals. It asserts both halves of that story.
local dsim = require "dsim"

local gossip = {}                                   -- a node program written in Lua
function gossip.start(self, disk)
  self.seen = disk.seen or {}
  self:set_timer("anti-entropy", "20ms")
end
function gossip.receive(self, from, msg)
  if msg.type == "broadcast" and not self.seen[msg.value] then
    self.seen[msg.value] = true
    for _, peer in ipairs(self:peers()) do self:send(peer, msg) end
  end
end
function gossip.timer(self, name)                  -- anti-entropy: resend all we know
  for _, peer in ipairs(self:peers()) do
    for value in pairs(self.seen) do self:send(peer, { type = "broadcast", value = value }) end
  end
  self:set_timer("anti-entropy", "20ms")
end

dsim.network{ latency = dsim.uniform("1ms", "20ms"), loss = 0.05 }
local nodes = dsim.cluster{ program = gossip, count = 5 }   -- named n1..n5
dsim.at("50ms",  function() dsim.partition({"n1", "n2"}, {"n3", "n4", "n5"}) end)
dsim.at("60ms",  function() nodes[1]:inject{ type = "broadcast", value = 42 } end)
dsim.at("190ms", function()
  dsim.check("n1 and n2 learn 42 during the partition", nodes[1].state.seen[42] and nodes[2].state.seen[42])
  dsim.check("n3..n5 do not learn 42 across the partition",
             not (nodes[3].state.seen[42] or nodes[4].state.seen[42] or nodes[5].state.seen[42]))
end)
dsim.at("200ms", function() dsim.heal() end)
dsim.run("1s")

for i = 1, 5 do
  dsim.assert("n" .. i .. " learned 42 after the heal", nodes[i].state.seen[42], "n" .. i .. " never saw 42")
end
