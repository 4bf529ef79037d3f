-- g-counter: a grow-only counter as a state-based CRDT. Each node counts its
-- own increments; nodes gossip their whole vector every 40ms and merge it by
-- taking the maximum per node, so duplicates and reordering are harmless and
-- the reads converge once the partitions heal. The network also duplicates
-- client requests, so an add is applied once per (client, msg_id).
local dsim = require "dsim"

local crdt = {}
function crdt.start(self)
  self.counts, self.applied = {}, {}
  self:set_timer("gossip", "40ms")
end
local function total(self)
  local sum = 0
  for _, c in pairs(self.counts) do sum = sum + c end
  return sum
end
function crdt.receive(self, from, msg)
  if msg.type == "add" then
    local id = from .. ":" .. msg.msg_id
    if not self.applied[id] then
      self.applied[id] = true
      self.counts[self.name] = (self.counts[self.name] or 0) + msg.delta
    end
    self:send(from, { type = "add_ok", in_reply_to = msg.msg_id })
  elseif msg.type == "read" then
    self:send(from, { type = "read_ok", value = total(self), in_reply_to = msg.msg_id })
  elseif msg.type == "merge" then
    for node, c in pairs(msg.counts) do
      if c > (self.counts[node] or 0) then self.counts[node] = c end
    end
  end
end
function crdt.timer(self, name)
  for _, peer in ipairs(self:peers()) do self:send(peer, { type = "merge", counts = dsim.object(self.counts) }) end
  self:set_timer("gossip", "40ms")
end

dsim.network{ latency = dsim.uniform("1ms", "10ms"), loss = "3%", duplicate = "3%" }
local servers = dsim.cluster{ program = crdt, count = 3 }
dsim.workload{ "g-counter", nodes = servers, rate = "100/s", concurrency = 3, timeout = "50ms", stop = "2s" }
dsim.nemesis{ partition = true, every = "300ms", stop = "2s" }
dsim.run("3.5s")
