-- Buggy servers that each workload checker must catch, one per seed:
-- `dsim run tests/lua/bad_servers.lua --seed N`. A checker that passes one of
-- these has lost its teeth; tests/check_lua.c expects every run to fail.
local dsim = require "dsim"

local bad = {}
function bad.start(self) self.data, self.n, self.values = {}, 0, {} end
function bad.receive(self, from, m)
  local function reply(r) r.in_reply_to = m.msg_id; self:send(from, r) end
  if m.type == "echo" then return reply{ type = "echo_ok", echo = "something else" } end
  if m.type == "generate" then self.n = self.n + 1; return reply{ type = "generate_ok", id = self.n } end
  if m.type == "broadcast" then self.values[#self.values + 1] = m.message; return reply{ type = "broadcast_ok" } end
  if m.type == "add" then self.n = self.n + m.delta; return reply{ type = "add_ok" } end
  if m.type == "send" then self.n = self.n + 1; return reply{ type = "send_ok", offset = self.n % 3 } end
  if m.type == "poll" then return reply{ type = "poll_ok", msgs = dsim.object() } end
  if m.type == "read" and m.key == nil then
    return reply{ type = "read_ok", messages = self.values, value = self.n }
  end
  if m.type == "read" then                             -- lin-kv: each server its own map
    if self.data[m.key] == nil then return reply{ type = "error", code = 20 } end
    return reply{ type = "read_ok", value = self.data[m.key] }
  end
  if m.type == "write" then self.data[m.key] = m.value; return reply{ type = "write_ok" } end
  if m.type == "cas" then
    if self.data[m.key] ~= m.from then return reply{ type = "error", code = 22 } end
    self.data[m.key] = m.to
    return reply{ type = "cas_ok" }
  end
  reply{ type = m.type .. "_ok" }
end

local kinds = { "echo", "unique-ids", "broadcast", "g-counter", "lin-kv", "kafka" }
local servers = dsim.cluster{ program = bad, count = 3 }
dsim.workload{ kinds[dsim.seed()], nodes = servers, rate = "200/s", concurrency = 3, timeout = "50ms", stop = "1s" }
dsim.run("2.5s")
