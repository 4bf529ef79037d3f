-- A fragile gossip. So that the nodes do not all send at once, each node
-- starts its anti-entropy timer at a random time; but the timer handler does
-- not set the timer again, so each node does one round only. The run passes
-- when n3, n4 or n5 happens to do its round after the heal, and fails when
-- all three did it earlier: it depends on the seed.
local dsim = require "dsim"

local gossip = {}
function gossip.start(self)
  self.seen = {}
  self:set_timer("anti-entropy", self:random(20, 400) .. "ms")
end
function gossip.receive(self, from, msg)
  if msg.type == "broadcast" and not self.seen[msg.value] then
    self.seen[msg.value] = true
    for _, peer in ipairs(self:peers()) do
      self:send(peer, msg)
    end
  end
end
function gossip.timer(self, name)
  for _, peer in ipairs(self:peers()) do
    for value in pairs(self.seen) do
      self:send(peer, { type = "broadcast", value = value })
    end
  end
end

dsim.network{ latency = dsim.uniform("1ms", "20ms") }
local nodes = dsim.cluster{ program = gossip, count = 5 }
dsim.at("50ms", function() dsim.partition({ "n1", "n2" }, { "n3", "n4", "n5" }) end)
dsim.at("60ms", function() nodes[3]:inject{ type = "broadcast", value = 42 } end)
dsim.at("200ms", function() dsim.heal() end)
dsim.run("1s")

for i = 1, 5 do
  dsim.check("n" .. i .. " learned 42", nodes[i].state.seen[42])
end
