-- Deterministic iteration: a directory node sends one message per entry of a
-- table with string keys, from a `pairs` loop. In plain Lua 5.4 the order of
-- that loop changes from process to process (the string hash is seeded from
-- the time and addresses), and so would the message ids and the trace hash.
-- In dsim, pairs visits keys in a fixed order (booleans, numbers, then strings
-- in byte order), so the receiver sees the entries alphabetically, every time;
-- table.sort is stable and math.random uses the node's seeded stream.
local dsim = require "dsim"

local directory = {}
function directory.start(self)
  self.entries = { mallory = 7, alice = 1, trent = 9, bob = 2, carol = 3, dave = 4, eve = 5,
                   peggy = 8, victor = 10, walter = 11, [3] = "three", [1] = "one", [true] = "yes" }
end
function directory.receive(self, from, msg)
  if msg.type ~= "dump" then return end
  for key, value in pairs(self.entries) do
    if type(key) == "string" then self:send(msg.to, { type = "entry", key = key, value = value }) end
  end
  local order = {}
  for key in pairs(self.entries) do order[#order + 1] = tostring(key) end
  self:send(msg.to, { type = "order", keys = order })
end

local recorder = {}
function recorder.start(self) self.got, self.order = {}, nil end
function recorder.receive(self, from, msg)
  if msg.type == "entry" then self.got[#self.got + 1] = msg.key end
  if msg.type == "order" then self.order = table.concat(msg.keys, " ") end
end

dsim.network{ latency = "1ms" }                     -- constant: arrival order = send order
local dir = dsim.cluster{ program = directory, name = "dir" }
local rec = dsim.cluster{ program = recorder, name = "rec" }
dsim.at("1ms", function() dir[1]:inject{ type = "dump", to = "rec1" } end)
dsim.run("100ms")

local got = rec[1].state.got
local sorted = {}
for i, k in ipairs(got) do sorted[i] = k end
table.sort(sorted)
dsim.assert("all ten entries arrived", #got == 10, #got .. " entries")
dsim.assert("pairs visited string keys in byte order", table.concat(got, ",") == table.concat(sorted, ","),
            table.concat(got, ","))
dsim.assert("mixed keys: booleans, then numbers, then strings", rec[1].state.order ==
            "true 1 3 alice bob carol dave eve mallory peggy trent victor walter", rec[1].state.order)
