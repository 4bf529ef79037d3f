-- CAP, the CP side: a majority-quorum store (quorum-kv, CASPaxos) under a
-- partition that leaves n1, n2 in a minority and n3, n4, n5 in a majority.
-- Clients "a" talk only to the minority, clients "b" only to the majority.
-- During the partition the minority refuses (error 11, or a timeout) and the
-- majority answers; the whole history stays linearizable.
local dsim = require "dsim"
local cap = require "cap_lib"

dsim.network{ latency = dsim.exponential("2ms") }
local servers = dsim.cluster{ system = "quorum-kv", count = 5 }
local minority, majority = { servers[1], servers[2] }, { servers[3], servers[4], servers[5] }
local common = { rate = "100/s", concurrency = 3, keys = 3, timeout = "500ms", stop = "4s", check = false }
local a = dsim.workload(cap.with(common, { "lin-kv", nodes = minority, clients = "a" }))
local b = dsim.workload(cap.with(common, { "lin-kv", nodes = majority, clients = "b" }))

dsim.at("1s", function() dsim.partition(minority, majority) end)
dsim.at("3s", function() dsim.heal() end)
dsim.run("5s")

-- Availability: the share of operations invoked in a window that completed ok.
local before_a = cap.availability(a, 0, 1)
-- 2.5: an operation invoked before it ends (answered, or given up after its
-- 500ms timeout) before the heal at 3s; one invoked later may be answered after
-- the heal (seed 49: a read invoked at 2.748s is answered at 3.008s).
local during_a = cap.availability(a, 1, 2.5)
local during_b = cap.availability(b, 1, 2.5)
local after_a = cap.availability(a, 3.25, 4)
dsim.check("the minority answers before the partition", before_a.ratio > 0.6, cap.show(before_a))
dsim.check("the minority refuses during the partition (C over A)", during_a.ok == 0 and during_a.n >= 5, cap.show(during_a))
dsim.check("the majority answers during the partition", during_b.ratio > 0.6, cap.show(during_b))
dsim.check("the minority answers again after the heal", after_a.ratio > 0.6, cap.show(after_a))
print("availability during the partition: minority " .. cap.show(during_a) .. ", majority " .. cap.show(during_b))
local lin_ok, lin_msg = cap.linearizable()
dsim.check("the whole history is linearizable", lin_ok, lin_msg)
print("linearizability: " .. lin_msg)
