-- acks = 1 against acks = all, the same crash: two kafka clusters side by side
-- (3 brokers, replication factor 3, min.insync.replicas 2), each with two
-- producers and two consumers. At 1s the broker leading most partitions of
-- each cluster is cut off from the other brokers (producers still reach it),
-- at 1.05s it crashes (its unsynced log tail is lost: flush = "never", Kafka's
-- default), the cut heals, and it returns at 1.6s. With acks = 1 the leader acknowledged records
-- its followers could not fetch: the new leader never had them, so they are
-- lost although acknowledged. With acks = all a record is acknowledged once
-- every ISR member has it, so none is lost.
local dsim = require "dsim"
local kafka = require "kafka_lib"

dsim.network{ latency = dsim.exponential("2ms") }
local broker = { replication_factor = 3, min_insync_replicas = 2, partitions = 6, flush = "never" }
local function client(acks)
  return { producers = 2, rate = "3000/s", batch = 20, linger = "2ms", acks = acks, retries = 10,
           idempotent = 1, stop = "2.5s", group_id = "g" }
end
local one, app1 = kafka.cluster{ name = "one", broker = broker, client = client(1) }
local all, appall = kafka.cluster{ name = "all", broker = broker, client = client("all") }

local victims = {}
local function isolate(brokers)
  local v = kafka.busiest(brokers)
  victims[#victims + 1] = v
  for _, h in ipairs(brokers) do
    if h ~= v then dsim.cut(v, h); dsim.cut(h, v) end
  end
end
dsim.at("0.95s", function() isolate(one); isolate(all) end)
dsim.at("1.05s", function()
  for _, v in ipairs(victims) do v:crash() end
  dsim.heal()
end)
dsim.at("1.6s", function()
  for _, h in ipairs(one) do if h.status == "down" then h:restart() end end
  for _, h in ipairs(all) do if h.status == "down" then h:restart() end end
end)
dsim.run("4s")

print(kafka.header)
local l1 = kafka.row("acks=1", app1)
local la = kafka.row("acks=all", appall)
dsim.check("acks=1: acknowledged records lost in the leader's crash", l1.lost > 0, l1.lost .. " lost")
dsim.check("acks=all: no acknowledged record lost", la.lost == 0 and la.acked > 10000, la.lost .. " lost of " .. la.acked)
dsim.check("order per partition kept", l1.out_of_order == 0 and la.out_of_order == 0)
