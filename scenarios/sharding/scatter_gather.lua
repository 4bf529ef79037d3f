-- Scatter-gather: 8 shards (a ring, 64 vnodes each) hold 800 people keyed by
-- name, each with a city. A read by name goes to one shard. A query by city
-- cannot be routed, because the city is not the shard key: the node asked
-- sends a scan to every shard and answers when the last one has answered, so
-- its fan-out is 8 and its latency is the slowest of 8 round trips. Prints
-- both latencies (mean, p99) and the messages per query; checks the answers.
local dsim = require "dsim"
local S = require "dsim.sharding"

local SHARDS, PEOPLE, QUERIES = 8, 800, 200
local CITIES = { "Paris", "Lagos", "Lima", "Osaka" }
dsim.network{ latency = dsim.exponential("2ms") }
local servers = dsim.cluster{ system = "shard-kv", count = SHARDS, scheme = "ring" }
local c = S.client{ servers = servers, route = S.layout("ring", SHARDS, 64), concurrency = 4 }
local in_city = {}
for i = 1, PEOPLE do
  local city = CITIES[i % #CITIES + 1]
  in_city[city] = (in_city[city] or 0) + 1
  c.push{ key = "p" .. i, msg = { type = "write", key = "p" .. i, value = { name = "p" .. i, city = city } } }
end
dsim.at("1ms", c.kick)
dsim.run("2s")

c.concurrency = 1                       -- one query at a time: latency without queueing
local keyed, finds = {}, {}
for q = 1, QUERIES do
  local k = "p" .. math.random(PEOPLE)
  keyed[q] = c.push{ key = k, msg = { type = "read", key = k } }
  local city = CITIES[math.random(#CITIES)]
  finds[q] = c.push{ msg = { type = "find", field = "city", equals = city }, city = city }
end
c.kick()
dsim.run("5s")
local stats = c.ask_stats(servers)
dsim.run("1s")

local function summary(ops)
  local lat, sum = {}, 0
  for i, op in ipairs(ops) do lat[i] = op.latency_ms or math.huge; sum = sum + lat[i] end
  table.sort(lat)
  return sum / #lat, lat[math.ceil(#lat * 0.99)]
end
local wrong, fanout = 0, 0
for _, op in ipairs(finds) do
  local r = op.reply
  if not (r and r.type == "find_ok" and #r.keys == in_city[op.city]) then wrong = wrong + 1 end
  fanout = math.max(fanout, r and r.fanout or 0)
end
local kmean, kp99 = summary(keyed)
local fmean, fp99 = summary(finds)
local scans = S.sum(stats, "scans")
print(string.format("%-22s %9s %9s %8s", "query", "mean", "p99", "shards"))
print(string.format("%-22s %7.2fms %7.2fms %8d", "read by name (key)", kmean, kp99, 1))
print(string.format("%-22s %7.2fms %7.2fms %8d", "find by city (scatter)", fmean, fp99, fanout))
print(string.format("scans run: %d for %d queries; messages per find: %d", scans, QUERIES, 2 * (SHARDS - 1)))
dsim.check("every find returns exactly the people of its city", wrong == 0, wrong .. " wrong")
dsim.check("a find asks every shard", fanout == SHARDS and scans == SHARDS * QUERIES,
           "fan-out " .. fanout .. ", " .. scans .. " scans")
dsim.check("a scatter-gather query is slower than a keyed one (mean and p99)", fmean > 1.5 * kmean and fp99 > kp99,
           string.format("%.2fms vs %.2fms", fmean, kmean))
