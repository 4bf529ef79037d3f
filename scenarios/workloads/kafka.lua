-- kafka: replicated logs, the simplest correct way: one leader (n1) owns every
-- log and assigns offsets; the other servers forward to it. Pauses of the
-- leader make operations time out (unknown), never disagree.
local dsim = require "dsim"

local log = {}
function log.start(self) self.logs, self.committed, self.waiting, self.fwd = {}, {}, {}, 0 end

local function serve(self, m)
  if m.type == "send" then
    local l = self.logs[m.key] or {}
    self.logs[m.key] = l
    l[#l + 1] = m.msg
    return { type = "send_ok", offset = #l - 1 }
  elseif m.type == "poll" then
    local out = dsim.object()
    for key, from in pairs(m.offsets) do
      local l, list = self.logs[key] or {}, {}
      for o = from, math.min(from + 9, #l - 1) do list[#list + 1] = { o, l[o + 1] } end
      out[key] = list
    end
    return { type = "poll_ok", msgs = out }
  elseif m.type == "commit_offsets" then
    for key, o in pairs(m.offsets) do self.committed[key] = math.max(self.committed[key] or -1, o) end
    return { type = "commit_offsets_ok" }
  elseif m.type == "list_committed_offsets" then
    local out = dsim.object()
    for _, key in ipairs(m.keys) do out[key] = self.committed[key] end
    return { type = "list_committed_offsets_ok", offsets = out }
  end
end

function log.receive(self, from, msg)
  if msg.type == "fwd" then
    return self:send(from, { type = "fwd_ok", id = msg.id, reply = serve(self, msg.req) })
  elseif msg.type == "fwd_ok" then
    local w = self.waiting[msg.id]
    self.waiting[msg.id] = nil
    if w then msg.reply.in_reply_to = w.msg_id; self:send(w.client, msg.reply) end
    return
  end
  if self.name == "n1" then
    local reply = serve(self, msg)
    reply.in_reply_to = msg.msg_id
    return self:send(from, reply)
  end
  self.fwd = self.fwd + 1
  self.waiting[self.fwd] = { client = from, msg_id = msg.msg_id }
  self:send("n1", { type = "fwd", id = self.fwd, req = msg })
end

dsim.network{ latency = dsim.exponential("2ms") }
local servers = dsim.cluster{ program = log, count = 3 }
local w = dsim.workload{ "kafka", nodes = servers, rate = "200/s", concurrency = 3, keys = 2, timeout = "50ms",
                         stop = "2s" }
dsim.nemesis{ pause = true, every = "300ms", targets = { "n1" }, stop = "1.8s" }
dsim.run("2.5s")
local c = w.counts()
dsim.check("pauses of the leader time operations out", c.unknown > 0, c.unknown .. " unknown")
