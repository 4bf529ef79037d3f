-- Failover under asynchronous replication loses acknowledged writes.
--
-- A primary-replica store of three nodes with an automatic failure detector
-- (a replica promotes itself when the primary has been silent for 300 ms). A
-- writer writes keys 1, 2, 3 ... once each (value = key) at random moments,
-- each acknowledged with write_ok. At a random time the primary crashes for
-- good; n2 takes over. With mode = "async" the primary acknowledged each write
-- before any replica had it, so a write acknowledged just before the crash may
-- exist nowhere else: after the failover the reader finds it missing. Whether
-- that happens depends on where the crash falls, i.e. on the seed:
--
--   dsim sweep scenarios/replication/failover.lua --seeds 1..40
--
-- lists the seeds that lose a write, each with the command that replays it.
-- Set MODE to "sync" and no seed loses one (a write is acknowledged only when
-- every replica holds it), at the price of slower writes.
-- sweep: some seeds fail (the lesson: a sweep lists them; tests/sweep_all.sh)
local dsim = require "dsim"

local MODE = "async"

dsim.network{ latency = dsim.uniform("1ms", "2ms") }
local n = dsim.cluster{ system = "primary-replica", count = 3, mode = MODE, failover = "auto" }
dsim.link(n[1], n[2], { latency = dsim.uniform("5ms", "25ms") })
dsim.link(n[1], n[3], { latency = dsim.uniform("5ms", "25ms") })

-- The writer: one write at a time, to a random node, until 3s; then it
-- reads back every key it was told was written, from the new primary n2.
local writer = {}
function writer.start(self)
  self.next_key, self.msg_id, self.acked, self.acked_t, self.missing = 0, 0, {}, {}, {}
  self:set_timer("write", "50ms")
end
local function send(self, to, msg)
  self.msg_id = self.msg_id + 1
  msg.msg_id = self.msg_id
  self.pending = msg
  self:send(to, msg)
  self:set_timer("timeout", "200ms")
end
local function next_read(self)
  self.read_i = self.read_i + 1
  local key = self.acked[self.read_i]
  if key then send(self, "n2", { type = "read", key = key }) else self.pending = nil end
end
function writer.timer(self, name)
  if name == "write" then
    if self:now() >= 3 then self.read_i = 0; return next_read(self) end
    self.next_key = self.next_key + 1
    send(self, "n" .. self:random(3), { type = "write", key = self.next_key, value = self.next_key })
  elseif name == "timeout" then             -- no answer: the outcome is unknown; move on
    if self.read_i then return next_read(self) end
    self:set_timer("write", dsim.s(-math.log(1 - self:random()) * 0.05))
  end
end
function writer.receive(self, from, msg)
  local p = self.pending
  if not p or msg.in_reply_to ~= p.msg_id then return end
  self:cancel_timer("timeout")
  if p.type == "write" then
    if msg.type == "write_ok" then self.acked[#self.acked + 1] = p.key; self.acked_t[#self.acked] = self:now() end
    return self:set_timer("write", dsim.s(-math.log(1 - self:random()) * 0.05))
  end
  if msg.type ~= "read_ok" or msg.value ~= p.key then
    self.missing[#self.missing + 1] = p.key
    self:log("acknowledged write of key " .. p.key .. " is lost: n2 answers " .. (msg.value or "key does not exist"))
  end
  next_read(self)
end
local w = dsim.cluster{ program = writer, name = "writer", client = true }[1]

local crash_at = 0.5 + math.random()          -- the scenario's seeded stream
dsim.at(dsim.s(crash_at), function() n[1]:crash() end)
dsim.run("4.5s")

local st = w.state
local after = 0
for _, t in ipairs(st.acked_t) do if t > crash_at then after = after + 1 end end
print(string.format("primary n1 crashed at %.3fs; %d writes acknowledged; %d read back from n2",
                    crash_at, #st.acked, st.read_i and math.min(st.read_i, #st.acked) or 0))
dsim.check("the new primary took writes after the failover", after > 0 and #st.acked > after,
           (#st.acked - after) .. " writes acknowledged before the crash, " .. after .. " after")
dsim.check("every acknowledged write survives the failover", #st.missing == 0,
           #st.missing == 0 and "none lost" or (#st.missing .. " lost, first key " .. st.missing[1]))
