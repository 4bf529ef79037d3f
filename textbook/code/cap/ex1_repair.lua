-- Exercise 1 of textbook/06-cap.md: which repair mechanism is enough?
-- The AP store with hinted handoff, read repair and anti-entropy all off does
-- not converge after the heal. Turn on ONE of them (handoff_interval = "100ms",
-- read_repair = 1 or anti_entropy = "200ms") so that the check passes on every
-- seed of `dsim sweep ... --seeds 1..50`. Which one works, and why not the others?
local dsim = require "dsim"
local convergence = require "dsim.convergence"

dsim.network{ latency = dsim.exponential("2ms") }
local servers = dsim.cluster{ system = "dynamo-kv", count = 5, n = 3, r = 1, w = 1,
                              handoff_interval = "0ms", read_repair = 0, anti_entropy = "0ms" }
local minority, majority = { servers[1], servers[2] }, { servers[3], servers[4], servers[5] }
dsim.workload{ "lin-kv", nodes = minority, clients = "a", rate = "100/s", concurrency = 3, stop = "2.9s", check = false }
dsim.workload{ "lin-kv", nodes = majority, clients = "b", rate = "100/s", concurrency = 3, stop = "2.9s", check = false }
convergence.probe{ nodes = servers, at = "5s" }     -- the check "eventual consistency"

dsim.at("1s", function() dsim.partition(minority, majority) end)
dsim.at("3s", function() dsim.heal() end)
dsim.run("6s")
