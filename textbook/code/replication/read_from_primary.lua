-- Exercise answer: keep async replication, but send reads to the primary too
-- (option reads = "primary"). Writes stay fast and no read is stale; the price
-- is that the replicas no longer share the read load.
local dsim = require "dsim"
local session = require "dsim.session"

dsim.network{ latency = dsim.uniform("1ms", "2ms") }
local a = dsim.cluster{ system = "primary-replica", count = 3, name = "a", mode = "async", reads = "primary" }
dsim.link(a[1], a[2], { latency = "50ms" })
dsim.link(a[1], a[3], { latency = "50ms" })
local w = dsim.workload{ "lin-kv", nodes = a, rate = "200/s", concurrency = 2, keys = 2,
                         timeout = "500ms", stop = "3s", clients = "ca", check = false }
dsim.run("3.5s")
session.check(dsim, session.of_clients(dsim.history(), w.clients), "async, reads at the primary:")
