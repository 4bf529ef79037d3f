-- The AP store with its three repair mechanisms turned off (no hinted
-- handoff, no read repair, no anti-entropy): after the same partition and
-- heal, replicas that missed writes during the partition keep their stale
-- versions forever. The convergence check names a key whose replicas differ.
-- (Exercise 2 of textbook/06-cap.md: turn one mechanism back on at a time.)
local dsim = require "dsim"
local cap = require "cap_lib"
local convergence = require "dsim.convergence"

dsim.network{ latency = dsim.exponential("2ms") }
local servers = dsim.cluster{ system = "dynamo-kv", count = 5, n = 3, r = 1, w = 1,
                              handoff_interval = "0ms", read_repair = 0, anti_entropy = "0ms" }
local minority, majority = { servers[1], servers[2] }, { servers[3], servers[4], servers[5] }
local common = { rate = "100/s", concurrency = 3, keys = 3, timeout = "500ms", stop = "2.9s", check = false }
dsim.workload(cap.with(common, { "lin-kv", nodes = minority, clients = "a" }))
dsim.workload(cap.with(common, { "lin-kv", nodes = majority, clients = "b" }))
local probe = convergence.probe{ nodes = servers, at = "5s", check = false }

dsim.at("1s", function() dsim.partition(minority, majority) end)
dsim.at("3s", function() dsim.heal() end)
dsim.run("6s")

local ok, msg = probe.check()
dsim.check("without repair the replicas stay diverged", not ok, msg)
