-- Two writes one coordinator stamps at the same instant (a regression test).
--
-- dynamo-kv versions a write (timestamp of the coordinator's clock, coordinator
-- id), and last writer wins. Five nodes, three replicas per key: n1 coordinates
-- writes of keys it does not hold itself too (it cannot then see its own first
-- write of the key when it stamps the second). Here n1 is paused from 5ms to 40ms while two
-- clients each send it a write of the same ten keys (client a writes "a", client
-- b writes "b"); at the resume n1 handles all twenty at one instant of its clock.
-- If two of them got the same version, a replica would keep whichever put
-- reached it first and ignore the other as "not newer": over a network that
-- reorders (latency 1-10ms), replicas of a key would hold different values at
-- one version forever, no repair could tell them apart, and quorum reads could
-- flip between them (ring_consistency.lua failed 16 of seeds 1..1000 so).
-- dynamo-kv therefore bumps every stamp past the last one it issued: all twenty
-- versions differ, the later one wins everywhere, and the replicas converge.
local dsim = require "dsim"
local S = require "dsim.sharding"
local convergence = require "dsim.convergence"

dsim.network{ latency = dsim.uniform("1ms", "10ms") }
local servers = dsim.cluster{ system = "dynamo-kv", count = 5, n = 3, strict = 1, consistency = "QUORUM",
                              request_timeout = "200ms" }
local a = S.client{ servers = servers, name = "a", concurrency = 10 }
local b = S.client{ servers = servers, name = "b", concurrency = 10 }
local ops = {}
for k = 1, 10 do
  ops[#ops + 1] = a.push{ to = "n1", msg = { type = "write", key = k, value = "a" } }
  ops[#ops + 1] = b.push{ to = "n1", msg = { type = "write", key = k, value = "b" } }
end
dsim.at("5ms", function() servers[1]:pause() end)
dsim.at("10ms", function() a.kick(); b.kick() end)
dsim.at("40ms", function() servers[1]:resume() end)
convergence.probe{ nodes = servers, at = "1s" }     -- the named check "eventual consistency"
dsim.run("1.5s")

local acked = 0
for _, op in ipairs(ops) do acked = acked + ((op.reply and op.reply.type == "write_ok") and 1 or 0) end
dsim.check("all twenty writes were acknowledged", acked == 20, acked .. " of 20")
