-- An answer to exercise 2 of textbook/00-getting-started.md: the timer handler
-- sets the timer again, so anti-entropy goes on after the heal. The first
-- round still starts at a random time.
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
  self:set_timer("anti-entropy", "20ms")
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
