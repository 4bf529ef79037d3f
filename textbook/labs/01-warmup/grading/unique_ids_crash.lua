-- Lab 1 grading test: unique ids while a nemesis crashes and restarts nodes
-- and partitions the network. A node that forgets, after a crash, which ids it
-- handed out will hand one out again: what survives a crash is only what was
-- synced to disk before the reply left.
local dsim = require "dsim"
local gen = dsim.submission("unique_ids")

dsim.network{ latency = dsim.exponential("3ms"), duplicate = "5%" }
local servers = dsim.cluster{ program = gen, count = 3 }
local w = dsim.workload{ "unique-ids", nodes = servers, rate = "300/s", concurrency = 3, timeout = "30ms", stop = "3s" }
local n = dsim.nemesis{ crash = true, partition = true, every = "150ms", stop = "2.5s" }
dsim.run("3s")
local c = w.counts()
dsim.check("ids answered despite the faults", c.ok >= 300, c.ok .. " ok, " .. n.faults .. " faults")
