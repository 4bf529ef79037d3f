-- C and Lua nodes in one run, talking the same canonical JSON: a Lua node sends
-- a nested payload to the C `echo` system and checks it comes back unchanged,
-- then broadcasts a value into a cluster of the C `broadcast` system and reads
-- it back from another of its nodes once the C nodes have gossiped it.
local dsim = require "dsim"

local probe = {}
function probe.start(self)
  self.sent = { list = { 1, 2.5, "three", true }, nested = { deep = { deeper = "x" } }, empty = {} }
  self:send("e1", { type = "echo", echo = self.sent, msg_id = 1 })
  self:send("b1", { type = "broadcast", message = 42, msg_id = 2 })
  self:set_timer("read", "500ms")
end
function probe.timer(self, name)
  self:send("b3", { type = "read", msg_id = 3 })
end
function probe.receive(self, from, msg)
  if msg.type == "echo_ok" then
    self.echo_from, self.echoed = from, msg.echo
    self.echo_same = dsim.encode(msg.echo) == dsim.encode(self.sent)
  elseif msg.type == "broadcast_ok" then
    self.acked = msg.in_reply_to
  elseif msg.type == "read_ok" then
    self.read = msg.messages
  end
end

dsim.network{ latency = dsim.uniform("1ms", "10ms") }
dsim.cluster{ system = "echo", name = "e" }
local b = dsim.cluster{ system = "broadcast", count = 3, name = "b", gossip_interval = "50ms" }
local p = dsim.cluster{ program = probe, name = "probe" }
dsim.run("1s")

local st = p[1].state
dsim.assert("the C echo node answered the Lua node", st.echo_from == "e1", tostring(st.echo_from))
dsim.assert("the payload came back byte for byte", st.echo_same, dsim.encode(st.echoed))
dsim.assert("the C broadcast node acknowledged", st.acked == 2)
dsim.assert("another C node serves the value to Lua", st.read and st.read[1] == 42, dsim.encode(st.read))
dsim.assert("the C nodes expose their state to the scenario", b[2].state.values[1] == 42)
