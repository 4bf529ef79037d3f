-- unique-ids: every server generates ids no other server can generate (its
-- name and a counter), with no coordination, under duplication and crashes.
-- A restarted node must not reuse ids: the counter is made durable with
-- self:sync() before an id is handed out (write-ahead), so a crash cannot
-- roll it back.
local dsim = require "dsim"

local gen = {}
function gen.start(self, disk) disk.next = disk.next or 0 end
function gen.receive(self, from, msg)
  if msg.type ~= "generate" then return end
  self.disk.next = self.disk.next + 1
  self:sync()
  self:send(from, { type = "generate_ok", id = self.name .. "-" .. self.disk.next, in_reply_to = msg.msg_id })
end

dsim.network{ latency = dsim.exponential("3ms"), duplicate = "5%" }
local servers = dsim.cluster{ program = gen, count = 3 }
local w = dsim.workload{ "unique-ids", nodes = servers, rate = "300/s", concurrency = 3, timeout = "30ms", stop = "3s" }
local n = dsim.nemesis{ crash = true, every = "200ms", stop = "2.5s" }
dsim.run("3s")
dsim.check("the nemesis crashed nodes", n.faults > 0, n.faults .. " faults")
dsim.check("ids survive restarts", servers[1].disk.next > 0, dsim.encode(servers[1].disk))
