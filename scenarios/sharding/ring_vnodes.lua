-- Consistent hashing and virtual nodes: 10 servers on a 64-bit ring, each with
-- 1 to 1,000 points (vnodes). With one point each, the arcs are as uneven as
-- random cuts of a circle: some server owns several times its share. With many
-- points the arcs average out, the spread shrinking like 1/sqrt(vnodes). The
-- table is computed from the ring itself (lua/dsim/sharding.lua, the same hash
-- and layout as the nodes); a real cluster then checks that it agrees: 2,000
-- keys written through a client-side router land where the table says, none
-- forwarded, and the keys per server follow the ring shares.
local dsim = require "dsim"
local S = require "dsim.sharding"

local SERVERS = 10
local VNODES = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000 }
local imb = {}
print(string.format("%7s  %9s  %9s  %s", "vnodes", "max/mean", "min/mean", "largest share (server)"))
for _, v in ipairs(VNODES) do
  local share = S.ring_shares(SERVERS, v)
  local max, hot = S.imbalance(share)
  local min = math.huge
  for _, x in ipairs(share) do min = math.min(min, x * SERVERS) end
  imb[v] = max
  print(string.format("%7d  %9.2f  %9.2f  %.1f%% (s%d)", v, max, min, share[hot] * 100, hot))
end
dsim.check("one point per server is badly unbalanced (max/mean > 1.5)", imb[1] > 1.5, string.format("%.2f", imb[1]))
dsim.check("1,000 vnodes are within 10% of fair", imb[1000] < 1.1, string.format("%.2f", imb[1000]))
dsim.check("more vnodes, better balance (1 > 10 > 100 > 1000)",
           imb[1] > imb[10] and imb[10] > imb[100] and imb[100] > imb[1000],
           string.format("%.2f > %.2f > %.2f > %.2f", imb[1], imb[10], imb[100], imb[1000]))

-- The same ring in the C nodes, at 5 vnodes (visibly uneven).
dsim.network{ latency = dsim.exponential("1ms") }
local ring = S.layout("ring", SERVERS, 5)
local servers = dsim.cluster{ system = "shard-kv", count = SERVERS, scheme = "ring", vnodes = 5 }
local c = S.client{ servers = servers, route = ring, concurrency = 8 }
local expect = {}
for i = 1, SERVERS do expect[i] = 0 end
for i = 1, 2000 do
  local k = "user" .. i
  expect[S.owner(ring, k)] = expect[S.owner(ring, k)] + 1
  c.push{ key = k, msg = { type = "write", key = k, value = i } }
end
dsim.at("1ms", c.kick)
dsim.run("5s")
local st = c.ask_stats(servers)
dsim.run("1s")
local keys = S.column(st, "keys")
print("5 vnodes, keys per server: " .. table.concat(keys, " ") .. string.format("  (max/mean %.2f)", S.imbalance(keys)))
dsim.check("the nodes place every key where the Lua ring says",
           table.concat(keys, " ") == table.concat(expect, " ") and S.sum(st, "forwarded") == 0,
           table.concat(expect, " ") .. " expected, " .. S.sum(st, "forwarded") .. " forwarded")
