-- Maelstrom's kafka workload against the C `kafka` brokers: three brokers,
-- replication factor 3, acks=all for every send; each key is a one-partition
-- topic created on its first send. The nemesis pauses and partitions brokers;
-- the workload's checker demands distinct offsets per key, increasing offsets
-- in every poll, and the acknowledged message at its acknowledged offset.
local dsim = require "dsim"

dsim.network{ latency = dsim.exponential("2ms") }
local brokers = dsim.cluster{ system = "kafka", name = "k", count = 3, replication_factor = 3,
                              min_insync_replicas = 2 }
local w = dsim.workload{ "kafka", nodes = brokers, rate = "200/s", concurrency = 4, keys = 3, timeout = "300ms",
                         stop = "3s" }
local n = dsim.nemesis{ partition = 1, pause = 1, every = "400ms", stop = "2.5s", targets = brokers }
dsim.run("4s")
local c = w.counts()
print(string.format("ok %d, fail %d, unknown %d", c.ok, c.fail, c.unknown))
dsim.check("most operations succeed", c.ok > c.fail + c.unknown, c.ok .. " ok")
dsim.check("the nemesis injected faults", n.faults > 0, n.faults .. " faults")
