-- Last writer wins, under clock skew, loses an acknowledged write.
--
-- A multi-primary store of two nodes that resolves conflicts by last-writer-
-- wins on timestamps from each node's own clock. n2's clock runs 500 ms ahead.
-- Alice writes x = 1 at n2 at 100 ms; Bob, 200 ms LATER in real time, writes
-- x = 2 at n1. Both are told write_ok. But n2 stamped Alice's write 600 ms and
-- n1 stamped Bob's 300 ms, so once they replicate both nodes keep Alice's 1:
-- Bob's later write is gone, with no error anywhere. With no skew (SKEW = 0)
-- the same run keeps 2.
local dsim = require "dsim"

local SKEW = "500ms"                                 -- how far n2's clock runs ahead

-- A client that sends each step's message at its time and keeps the replies.
local function script(steps)
  local P = {}
  function P.start(self)
    self.replies = {}
    for i, s in ipairs(steps) do self:set_timer("step" .. i, s.at) end
  end
  function P.timer(self, name)
    local i = tonumber(name:sub(5))
    local msg = steps[i].msg
    msg.msg_id = i
    self:send(steps[i].to, msg)
  end
  function P.receive(self, from, msg) self.replies[msg.in_reply_to] = msg end
  return P
end

local n = dsim.cluster{ system = "multi-primary", count = 2, resolve = "lww" }
n[2]:skew(SKEW, 0)
local c = dsim.cluster{ program = script{
  { at = "100ms", to = "n2", msg = { type = "write", key = 1, value = 1 } },     -- Alice
  { at = "300ms", to = "n1", msg = { type = "write", key = 1, value = 2 } },     -- Bob, later
  { at = "1s", to = "n1", msg = { type = "read", key = 1 } },
  { at = "1s", to = "n2", msg = { type = "read", key = 1 } },
}, name = "client", client = true }[1]
dsim.run("1.5s")

local r = c.state.replies
print(string.format("write x=1 at n2: %s; write x=2 at n1 (later): %s; then n1 reads %s, n2 reads %s",
  r[1] and r[1].type, r[2] and r[2].type, r[3] and r[3].value, r[4] and r[4].value))
dsim.check("both writes were acknowledged", r[1] and r[1].type == "write_ok" and r[2] and r[2].type == "write_ok")
dsim.check("the replicas converged", r[3] and r[4] and r[3].value == r[4].value)
if dsim.duration(SKEW) > 0 then
  dsim.check("LWW under skew kept the EARLIER write (x = 1): the later write x = 2 is lost",
             r[3] and r[3].value == 1, "n1 reads " .. tostring(r[3] and r[3].value))
else
  dsim.check("without skew LWW keeps the later write (x = 2)", r[3] and r[3].value == 2)
end
