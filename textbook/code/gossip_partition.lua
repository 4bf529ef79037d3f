-- Gossip under a partition: {n1, n2} cannot reach {n3, n4, n5} from 50ms to
-- 200ms, and the value is given to n3 at 60ms, while the partition is on.
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
dsim.at("50ms", function() dsim.partition({ "n1", "n2" }, { "n3", "n4", "n5" }) end)
dsim.at("60ms", function() nodes[3]:inject{ type = "broadcast", value = 42 } end)
dsim.at("200ms", function() dsim.heal() end)
dsim.run("1s")

for i = 1, 5 do
  dsim.check("n" .. i .. " learned 42", nodes[i].state.seen[42])
end
