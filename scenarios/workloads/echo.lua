-- echo: Maelstrom's first workload, answered by a mixed cluster: two nodes of
-- the C `echo` system and two Lua echo nodes, over a lossy network. Clients
-- time out on lost messages (unknown); every answered echo must match.
local dsim = require "dsim"

local echo = {}
function echo.receive(self, from, msg)
  if msg.type == "echo" then self:send(from, { type = "echo_ok", echo = msg.echo, in_reply_to = msg.msg_id }) end
end

dsim.network{ latency = dsim.normal("5ms", "2ms"), loss = "5%" }   -- 5%: a lost echo on every seed
local c_nodes = dsim.cluster{ system = "echo", count = 2 }
local lua_nodes = dsim.cluster{ program = echo, count = 2 }
local servers = { c_nodes[1], c_nodes[2], lua_nodes[1], lua_nodes[2] }
local w = dsim.workload{ "echo", nodes = servers, rate = "100/s", concurrency = 2, timeout = "50ms", stop = "2s" }
dsim.run("2.5s")

local c = w.counts()
dsim.check("most echoes answered", c.ok >= 0.75 * (c.ok + c.unknown + c.fail), c.ok .. " ok, " .. c.unknown .. " unknown")
dsim.check("lost messages time out as unknown", c.unknown > 0, c.unknown .. " unknown")
