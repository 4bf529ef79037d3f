-- Multi-primary: two inserts with the same id, both accepted.
--
-- Two clients create an order with id 7 at the same moment, one at n1 and one
-- at n2. Each node checks that id 7 does not exist yet, and on its own copy it
-- does not: both answer insert_ok. The conflict surfaces only when the inserts
-- replicate. Under last-writer-wins (store `l`) one order silently replaces the
-- other; with version vectors (store `v`) both survive as siblings, and a read
-- hands them to the application to sort out. A single primary would have
-- refused the second insert with error 21 (key already exists), as the last
-- step shows: a retry at n1 after replication is refused.
local dsim = require "dsim"

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

local function run_store(prefix, resolve)
  local n = dsim.cluster{ system = "multi-primary", count = 2, name = prefix, resolve = resolve }
  return dsim.cluster{ program = script{
    { at = "100ms", to = prefix .. "1", msg = { type = "insert", key = 7, value = 100 } },   -- Alice's order
    { at = "100ms", to = prefix .. "2", msg = { type = "insert", key = 7, value = 200 } },   -- Bob's order
    { at = "500ms", to = prefix .. "1", msg = { type = "read", key = 7 } },
    { at = "500ms", to = prefix .. "2", msg = { type = "read", key = 7 } },
    { at = "600ms", to = prefix .. "1", msg = { type = "insert", key = 7, value = 300 } },
  }, name = prefix .. "client", client = true }[1]
end
local l, v = run_store("l", "lww"), run_store("v", "vv")
dsim.run("1s")

local function show(name, r)
  print(string.format("%s: inserts %s, %s; reads %s and %s; siblings %s; late insert: %s", name, r[1].type, r[2].type,
    r[3].value, r[4].value, dsim.encode(r[3].siblings), r[5].type == "error" and ("error " .. r[5].code) or r[5].type))
end
local rl, rv = l.state.replies, v.state.replies
show("lww", rl)
show("vv ", rv)
dsim.check("both nodes accepted the same id", rl[1].type == "insert_ok" and rl[2].type == "insert_ok"
           and rv[1].type == "insert_ok" and rv[2].type == "insert_ok")
dsim.check("lww: one acknowledged insert vanished", #rl[3].siblings == 1 and rl[3].value == rl[4].value,
           "both nodes read " .. tostring(rl[3].value))
dsim.check("vv: both inserts survive as siblings", dsim.encode(rv[3].siblings) == dsim.encode(rv[4].siblings)
           and #rv[3].siblings == 2, dsim.encode(rv[3].siblings))
dsim.check("after replication a third insert of the id is refused (error 21)",
           rl[5].type == "error" and rl[5].code == 21 and rv[5].code == 21)
