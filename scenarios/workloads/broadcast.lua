-- broadcast: Maelstrom's broadcast workload on a Lua gossip protocol that
-- survives loss and partitions: a new value is pushed to every peer at once,
-- and every 50ms each node sends each peer the values it has not acknowledged.
-- The nemesis partitions and pauses servers until 3s; at 4s a client reads
-- every server, and the checker demands every acknowledged value everywhere.
local dsim = require "dsim"

local gossip = {}
function gossip.start(self)
  self.values, self.acked = {}, {}                   -- acked[peer][value] = true
  for _, peer in ipairs(self:peers()) do self.acked[peer] = {} end
  self:set_timer("gossip", "50ms")
end
local function learn(self, v)
  if self.values[v] then return end
  self.values[v] = true
  for _, peer in ipairs(self:peers()) do self:send(peer, { type = "gossip", values = { v } }) end
end
function gossip.receive(self, from, msg)
  if msg.type == "broadcast" then
    learn(self, msg.message)
    self:send(from, { type = "broadcast_ok", in_reply_to = msg.msg_id })
  elseif msg.type == "read" then
    local list = {}
    for v in pairs(self.values) do list[#list + 1] = v end
    self:send(from, { type = "read_ok", messages = list, in_reply_to = msg.msg_id })
  elseif msg.type == "gossip" then
    for _, v in ipairs(msg.values) do learn(self, v); self.acked[from][v] = true end
    self:send(from, { type = "gossip_ok", values = msg.values })
  elseif msg.type == "gossip_ok" then
    for _, v in ipairs(msg.values) do self.acked[from][v] = true end
  end
end
function gossip.timer(self, name)
  for _, peer in ipairs(self:peers()) do
    local missing = {}
    for v in pairs(self.values) do if not self.acked[peer][v] then missing[#missing + 1] = v end end
    if #missing > 0 then self:send(peer, { type = "gossip", values = missing }) end
  end
  self:set_timer("gossip", "50ms")
end

dsim.network{ latency = dsim.uniform("1ms", "20ms"), loss = "5%" }
local servers = dsim.cluster{ program = gossip, count = 5 }
local w = dsim.workload{ "broadcast", nodes = servers, rate = "50/s", concurrency = 2, timeout = "100ms",
                         stop = "3s", final = "4s" }
local n = dsim.nemesis{ partition = 2, pause = 1, every = "400ms", stop = "3s" }
dsim.run("5s")
dsim.check("the nemesis injected faults", n.faults > 0, n.faults .. " faults")
