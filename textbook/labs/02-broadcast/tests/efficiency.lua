-- Lab 2 public test: 25 nodes, 100ms between any two, 100 broadcasts a second
-- (Fly.io's Gossip Glomers 3d): fewer than 30 messages between nodes for each
-- acknowledged value, and still every value everywhere.
--   ./dsim run tests/efficiency.lua --submission .
local dsim = require "dsim"
local bc = dsim.submission("broadcast")

dsim.network{ latency = "100ms" }
local servers = dsim.cluster{ program = bc, count = 25 }
local w = dsim.workload{ "broadcast", nodes = servers, rate = "100/s", concurrency = 25, timeout = "1s",
                         stop = "3s", final = "4s" }
dsim.run("10s")
local client = 0
for _, t in ipairs{ "broadcast", "broadcast_ok", "read", "read_ok" } do client = client + dsim.stats(t).sent end
local between = dsim.stats().sent - client
local c = w.counts()
local per = c.ok > 0 and between / c.ok or math.huge
dsim.check("broadcasts acknowledged", c.ok >= 100, c.ok .. " ok")
dsim.check("fewer than 30 messages between nodes a value", per < 30,
  string.format("%d messages for %d values: %.1f a value", between, c.ok, per))
