-- Lab 1 public test: three id servers (your unique_ids.lua) on a network that
-- duplicates messages; no id may be handed out twice.
--   ./dsim run tests/unique_ids.lua --submission .
local dsim = require "dsim"
local gen = dsim.submission("unique_ids")

dsim.network{ latency = dsim.exponential("3ms"), duplicate = "5%" }
local servers = dsim.cluster{ program = gen, count = 3 }
local w = dsim.workload{ "unique-ids", nodes = servers, rate = "300/s", concurrency = 3, timeout = "50ms", stop = "2s" }
dsim.run("2.5s")
local c = w.counts()
dsim.check("ids answered", c.ok >= 300, c.ok .. " ok")
