-- Kademlia: hops per lookup grow as log N. Three separate DHTs of 64, 256 and
-- 1024 nodes (k = 4 buckets so that the growth shows at classroom sizes; with
-- k = 20 a 1024-node DHT answers in one or two hops), each node joining through
-- the first node of its DHT within 1 s; a quarter of the nodes publish a value
-- under their own key; every node looks up a random publisher's key every 10 s.
-- Every lookup in a static network must find its value, the mean hops must rise
-- with N and stay within a small multiple of log2(N), and every routing table
-- must hold invariant K1 (at most k contacts a bucket, each in its right bucket).
local dsim = require "dsim"

dsim.network{ latency = dsim.uniform("10ms", "60ms") }
local sizes, dhts = { 64, 256, 1024 }, {}
for i, n in ipairs(sizes) do
  dhts[i] = dsim.cluster{ system = "kademlia", name = "d" .. n .. "_", count = n, k = 4, publish = 25,
                          lookup_every = "10s", join_spread = "1s" }
end
dsim.run("120s")

local hops = {}
for i, n in ipairs(sizes) do
  local d = dhts[i][1].state.dht
  hops[i] = d.hops_mean
  print(string.format("N = %4d: %5d lookups, %5d found, %.2f hops on average (max %d), %.0f ms",
                      n, d.lookups, d.found, d.hops_mean, d.hops_max, d.latency_ms_mean))
  dsim.check("N = " .. n .. ": every lookup finds its value", d.lookups > 0 and d.found >= d.lookups * 0.98,
             d.found .. " of " .. d.lookups)
  dsim.check("N = " .. n .. ": hops within 2 log2 N", d.hops_mean <= 2 * math.log(n, 2), tostring(d.hops_mean))
  local valid = true
  for _, node in ipairs(dhts[i]) do valid = valid and node.state.valid end
  dsim.check("N = " .. n .. ": every routing table keeps K1", valid)
end
dsim.check("hops grow with N", hops[1] < hops[2] and hops[2] < hops[3],
           string.format("%.2f, %.2f, %.2f", hops[1], hops[2], hops[3]))
-- (A lookup can miss in a static network: a value lives at the k nodes closest
-- to its key when it was announced; a node that joins later closer to the key
-- does not hold it until the next republish. BEP 5 has no hand-over either.)
