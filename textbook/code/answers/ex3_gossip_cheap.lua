-- An answer to exercise 3 of textbook/00-getting-started.md: each node keeps,
-- per peer, the values that peer is known to have (it sent them to us, or it
-- acknowledged them), and anti-entropy sends a peer only the others.
local dsim = require "dsim"

local gossip = {}
function gossip.start(self)
  self.seen = {}
  self.has = {}                             -- has[peer][value] = true
  for _, peer in ipairs(self:peers()) do self.has[peer] = {} end
  self:set_timer("anti-entropy", "20ms")
end
local function send_missing(self, peer)
  for value in pairs(self.seen) do
    if not self.has[peer][value] then self:send(peer, { type = "broadcast", value = value }) end
  end
end
function gossip.receive(self, from, msg)
  if msg.type == "broadcast" then
    if from then                            -- from a peer (nil: from the scenario)
      self.has[from][msg.value] = true
      self:send(from, { type = "ack", value = msg.value })
    end
    if not self.seen[msg.value] then
      self.seen[msg.value] = true
      for _, peer in ipairs(self:peers()) do send_missing(self, peer) end
    end
  elseif msg.type == "ack" then
    self.has[from][msg.value] = true
  end
end
function gossip.timer(self, name)
  for _, peer in ipairs(self:peers()) do send_missing(self, peer) end
  self:set_timer("anti-entropy", "20ms")
end

dsim.network{ latency = dsim.uniform("1ms", "20ms") }
local nodes = dsim.cluster{ program = gossip, count = 5 }
dsim.at("50ms", function() dsim.partition({ "n1", "n2" }, { "n3", "n4", "n5" }) end)
dsim.at("60ms", function() nodes[3]:inject{ type = "broadcast", value = 42 } end)
dsim.at("190ms", function()
  dsim.check("42 has not crossed the partition", not nodes[1].state.seen[42])
end)
dsim.at("200ms", function() dsim.heal() end)
dsim.run("1s")

for i = 1, 5 do
  dsim.check("n" .. i .. " learned 42", nodes[i].state.seen[42])
end
local sent = dsim.stats().sent
dsim.check("at most 150 messages", sent <= 150, sent .. " messages")
