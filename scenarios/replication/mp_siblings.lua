-- Multi-primary with version vectors: concurrent updates kept as siblings, and
-- merged by the client.
--
-- A shopping cart (key 1) is written at three nodes. Alice writes 1 at n1; it
-- replicates; then Alice (at n1) and Bob (at n2) each update the cart at the
-- same moment, from the same version, to 2 and to 3. Neither update has seen
-- the other, so their version vectors are concurrent and every node keeps
-- both: a read returns siblings [2, 3] and their merged vector as context.
-- The client merges them (here: the sum, 5) and writes 5 with that context,
-- which replaces both siblings everywhere. Meanwhile a write that HAD seen the
-- earlier version (Alice's second update at n1) simply replaced it: version
-- vectors tell "overwrites" from "concurrent", which last-writer-wins cannot.
local dsim = require "dsim"

local n = dsim.cluster{ system = "multi-primary", count = 3, resolve = "vv" }
local client = {}
function client.start(self)
  self.log = {}
  self:set_timer("alice1", "100ms")
  self:set_timer("concurrent", "300ms")
  self:set_timer("read", "600ms")
  self:set_timer("final", "1.2s")
end
function client.timer(self, name)
  if name == "alice1" then self:send("n1", { type = "write", key = 1, value = 1, msg_id = 1 })
  elseif name == "concurrent" then
    self:send("n1", { type = "write", key = 1, value = 2, msg_id = 2 })
    self:send("n2", { type = "write", key = 1, value = 3, msg_id = 3 })
  elseif name == "read" then self:send("n3", { type = "read", key = 1, msg_id = 4 })
  elseif name == "final" then
    for i = 1, 3 do self:send("n" .. i, { type = "read", key = 1, msg_id = 10 + i }) end
  end
end
function client.receive(self, from, msg)
  self.log[msg.in_reply_to] = msg
  if msg.in_reply_to == 4 then                         -- merge the siblings, write back
    local sum = 0
    for _, v in ipairs(msg.siblings) do sum = sum + v end
    self:send("n3", { type = "write", key = 1, value = sum, context = msg.context, msg_id = 5 })
  end
end
local c = dsim.cluster{ program = client, name = "client", client = true }[1]
dsim.run("1.5s")

local log = c.state.log
print("siblings after the concurrent updates: " .. dsim.encode(log[4].siblings) .. ", context " .. dsim.encode(log[4].context))
print("after the merge, n1 n2 n3 read: " .. log[11].value .. " " .. log[12].value .. " " .. log[13].value ..
      ", siblings " .. dsim.encode(log[11].siblings))
dsim.check("concurrent updates are both kept (siblings [2, 3])", dsim.encode(log[4].siblings) == "[2,3]",
           dsim.encode(log[4].siblings))
dsim.check("the merged write replaced both siblings on every node",
           #log[11].siblings == 1 and log[11].value == 5 and log[12].value == 5 and log[13].value == 5)
