-- Gossip: a value given to one node reaches every node. A node that sees a
-- value for the first time remembers it and sends it on to all its peers.
local dsim = require "dsim"

local gossip = {}
function gossip.start(self)
  self.seen = {}                            -- value -> true
end
function gossip.receive(self, from, msg)
  if msg.type == "broadcast" and not self.seen[msg.value] then
    self.seen[msg.value] = true
    for _, peer in ipairs(self:peers()) do  -- every other node of the cluster
      self:send(peer, msg)
    end
  end
end

dsim.network{ latency = dsim.uniform("1ms", "20ms") }
local nodes = dsim.cluster{ program = gossip, count = 5 }   -- n1 .. n5
dsim.at("60ms", function() nodes[3]:inject{ type = "broadcast", value = 42 } end)
dsim.run("1s")

for i = 1, 5 do
  dsim.check("n" .. i .. " learned 42", nodes[i].state.seen[42])
end
