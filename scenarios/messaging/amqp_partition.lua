-- A quorum queue (CP) against a mirrored queue (AP), the same partition. Two
-- clusters of three brokers side by side; in each, the queue is replicated on
-- the three brokers with broker 1 as its first leader (master), one publisher
-- and one consumer talk to broker 1, one publisher to broker 2 and one consumer
-- to broker 3. From 0.5s to 1.5s broker 1, with its two clients, is cut off
-- from the rest.
--   quorum: broker 1 loses its majority and steps down; brokers 2 and 3 elect a
--     leader and go on. Publishes on broker 1's side are refused (nacked,
--     retried after the heal): nothing confirmed is lost.
--   mirrored: both sides have a master, both confirm and deliver. At the heal
--     the side of broker 2 gives up its copy for broker 1's (autoheal): what
--     was confirmed there and not yet consumed is lost, and what both masters
--     delivered was processed twice.
local dsim = require "dsim"
local kafka = require "kafka_lib"

dsim.network{ latency = dsim.exponential("1ms") }
local function world(name, qtype)
  local b = dsim.cluster{ system = "amqp", name = name, count = 3, exchanges = { x = "direct" },
                          queues = { q = { type = qtype, replicas = 3, home = 1 } }, bindings = { { "x", "q", "k" } } }
  local n = { b[1].name, b[2].name, b[3].name, b[1].name }
  local c = dsim.cluster{ system = "amqp-client", name = name .. "c", count = 4, brokers = n, publishers = 2,
                          exchange = "x", keys = { "k" }, rate = "150/s", stop = "2s", retries = 100,
                          queues = { "q" }, prefetch = 1, process = "8ms" }
  return b, c
end
local qb, qc = world("qq", "quorum")
local mb, mc = world("mq", "mirrored")
dsim.at("0.5s", function()
  dsim.partition({ qb[1], qc[1], qc[4], mb[1], mc[1], mc[4] }, { qb[2], qb[3], qc[2], qc[3], mb[2], mb[3], mc[2], mc[3] })
end)
dsim.at("1.5s", function() dsim.heal() end)
dsim.run("6s")

print(kafka.header)
local q = kafka.row("quorum queue", qc)
local m = kafka.row("mirrored queue", mc)
print(string.format("publishes nacked (refused, then retried): quorum %d, mirrored %d",
                    qc[1].state.nacked + qc[2].state.nacked, mc[1].state.nacked + mc[2].state.nacked))
dsim.check("quorum: nothing confirmed is lost", q.lost == 0 and q.acked == 600, q.lost .. " lost of " .. q.acked)
dsim.check("mirrored: confirmed messages lost at the heal", m.lost > 0, m.lost .. " lost")
dsim.check("mirrored: messages processed twice", m.duplicates > 0, m.duplicates .. " duplicates")
dsim.check("quorum: the minority side refused", qc[1].state.nacked > 0 and mc[1].state.nacked == 0)
