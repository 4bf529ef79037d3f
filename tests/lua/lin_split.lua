-- Split brain, for dsim.linearizable: two servers that never replicate, each
-- with its own copy of the data. A client writes through one and reads through
-- the other, so some read misses a write that completed before it began: the
-- C checker must say "not linearizable". (The workload's own check is off so
-- that this is the only verdict on linearizability.)
local dsim = require "dsim"

local kv = {}
function kv.start(self) self.data = {} end
function kv.receive(self, from, msg)
  local reply
  if msg.type == "read" then
    local v = self.data[msg.key]
    reply = v == nil and { type = "error", code = 20 } or { type = "read_ok", value = v }
  elseif msg.type == "write" then
    self.data[msg.key] = msg.value
    reply = { type = "write_ok" }
  else
    reply = { type = "error", code = 22 }
  end
  reply.in_reply_to = msg.msg_id
  self:send(from, reply)
end

dsim.network{ latency = "1ms" }
local servers = dsim.cluster{ program = kv, count = 2 }
dsim.workload{ "lin-kv", nodes = servers, rate = "100/s", concurrency = 2, keys = 1, stop = "1s",
               check = false }
dsim.run("1.5s")
local ok, summary = dsim.linearizable{ model = "register", name = "split-brain-linearizable" }
dsim.check("the checker explains itself", not ok and #summary > 0, summary)
