-- Lab 2 public test: five nodes, a reliable network; after the clients stop,
-- a final read of every node must hold every acknowledged value.
--   ./dsim run tests/broadcast.lua --submission .
local dsim = require "dsim"
local bc = dsim.submission("broadcast")

dsim.network{ latency = dsim.uniform("1ms", "10ms") }
local servers = dsim.cluster{ program = bc, count = 5 }
local w = dsim.workload{ "broadcast", nodes = servers, rate = "50/s", concurrency = 2, timeout = "200ms",
                         stop = "2s", final = "4s" }
dsim.run("5s")
local c = w.counts()
dsim.check("broadcasts acknowledged", c.ok >= 50, c.ok .. " ok, " .. c.unknown .. " unanswered")
