-- The cost of a join across shard keys. 8 shard-kv shards (a ring) hold two
-- tables: customers keyed by customer ("c17" -> {name, city}) and orders keyed
-- by order ("o123" -> {customer = "c17", amount}). "A customer with all its
-- orders" is a join on the customer, but orders are sharded by order id, so
-- the client reads the customer (one shard), finds the customer's orders by
-- scatter-gather (every shard: find on the field "customer") and then reads
-- each order found (one shard each).
-- The co-located layout partitions orders by customer instead (Cassandra's
-- PRIMARY KEY ((customer), order), Spanner's interleaved tables): a customer
-- and its orders are one partition, "p17" -> {name, city, orders = {...}}, and
-- the join is one keyed read on one shard. Prints shards touched, messages and
-- latency per join for both; checks both give the same answers.
local dsim = require "dsim"
local S = require "dsim.sharding"

local SHARDS, CUSTOMERS, ORDERS, JOINS = 8, 100, 500, 50
dsim.network{ latency = dsim.exponential("2ms") }
local servers = dsim.cluster{ system = "shard-kv", count = SHARDS, scheme = "ring" }
local c = S.client{ servers = servers, route = S.layout("ring", SHARDS, 64), concurrency = 4 }
local parts = {}
for i = 1, CUSTOMERS do parts[i] = { name = "name" .. i, city = "city" .. i % 7, orders = {} } end
for j = 1, ORDERS do
  local who = math.random(CUSTOMERS)
  local row = { customer = "c" .. who, amount = math.random(100) }
  c.push{ key = "o" .. j, msg = { type = "write", key = "o" .. j, value = row } }
  parts[who].orders[#parts[who].orders + 1] = { id = "o" .. j, amount = row.amount }
end
for i = 1, CUSTOMERS do
  c.push{ key = "c" .. i, msg = { type = "write", key = "c" .. i, value = { name = "name" .. i, city = "city" .. i % 7 } } }
  c.push{ key = "p" .. i, msg = { type = "write", key = "p" .. i, value = parts[i] } }
end
dsim.at("1ms", c.kick)
dsim.run("2s")

c.concurrency = 1                        -- one request at a time: latency without queueing
local before = c.ask_stats(servers)
local joins = {}
for q = 1, JOINS do
  local who = math.random(CUSTOMERS)
  joins[q] = { who = who, cust = c.push{ key = "c" .. who, msg = { type = "read", key = "c" .. who } },
               find = c.push{ msg = { type = "find", field = "customer", equals = "c" .. who } } }
end
c.kick()
dsim.run("3s")
for _, j in ipairs(joins) do             -- second round: the orders the find named
  j.orders = {}
  for i, k in ipairs(j.find.reply and j.find.reply.keys or {}) do
    j.orders[i] = c.push{ key = k, msg = { type = "read", key = k } }
  end
end
c.kick()
dsim.run("5s")
for _, j in ipairs(joins) do j.part = c.push{ key = "p" .. j.who, msg = { type = "read", key = "p" .. j.who } } end
c.kick()
dsim.run("2s")
local after = c.ask_stats(servers)
dsim.run("1s")

-- Per join: shards touched, messages (each request and reply; a find adds a
-- scan and a scan_ok per other shard), latency on the critical path (the
-- customer read and the find in parallel, then the order reads in parallel).
local function lat(op) return op.latency_ms or math.huge end
local sum = { shards = 0, msgs = 0, ms = 0, cshards = 0, cmsgs = 0, cms = 0 }
local wrong, fanout = 0, 0
for _, j in ipairs(joins) do
  local slowest = 0
  for _, o in ipairs(j.orders) do slowest = math.max(slowest, lat(o)) end
  local fan = j.find.reply and j.find.reply.fanout or 0
  fanout = math.max(fanout, fan)
  sum.shards = sum.shards + fan
  sum.msgs = sum.msgs + 2 * (2 + #j.orders) + 2 * (fan - 1)
  sum.ms = sum.ms + math.max(lat(j.cust), lat(j.find)) + slowest
  sum.cshards, sum.cmsgs, sum.cms = sum.cshards + 1, sum.cmsgs + 2, sum.cms + lat(j.part)
  local got = j.part.reply and j.part.reply.value
  if not got or #got.orders ~= #j.orders or #j.orders ~= #parts[j.who].orders then wrong = wrong + 1 end
  for _, o in ipairs(j.orders) do
    if not (o.reply and o.reply.value and o.reply.value.customer == "c" .. j.who) then wrong = wrong + 1 end
  end
end
local scans = S.sum(after, "scans") - S.sum(before, "scans")
print(string.format("%-28s %8s %10s %10s", "join (per customer)", "shards", "messages", "latency"))
print(string.format("%-28s %8.1f %10.1f %8.2fms", "orders sharded by order id", sum.shards / JOINS, sum.msgs / JOINS, sum.ms / JOINS))
print(string.format("%-28s %8.1f %10.1f %8.2fms", "co-located by customer", sum.cshards / JOINS, sum.cmsgs / JOINS, sum.cms / JOINS))
print(string.format("scans run: %d for %d joins; forwarded: %d", scans, JOINS, S.sum(after, "forwarded")))
dsim.check("both layouts give every customer the same orders", wrong == 0, wrong .. " wrong")
dsim.check("the cross-shard join asks every shard, the co-located one a single shard",
           fanout == SHARDS and scans == SHARDS * JOINS and sum.cshards == JOINS,
           "fan-out " .. fanout .. ", " .. scans .. " scans")
dsim.check("the cross-shard join costs over 8 times the messages and over twice the latency",
           sum.msgs > 8 * sum.cmsgs and sum.ms > 2 * sum.cms,
           string.format("%.1f vs %.1f messages, %.2fms vs %.2fms", sum.msgs / JOINS, sum.cmsgs / JOINS, sum.ms / JOINS, sum.cms / JOINS))
