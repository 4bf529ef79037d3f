-- Push delivery on the C `amqp` broker: prefetch, acks, redelivery, nacks,
-- dead-lettering and TTL. One broker; the queue `jobs` is consumed by two
-- consumers holding at most 5 unacked deliveries each (prefetch) and taking
-- 10ms per message; every 10th delivery a consumer rejects it (nack without
-- requeue), so the broker dead-letters it to the exchange `dead` and its queue
-- `dlq`. At 0.5s the second consumer dies with deliveries unacked: once its
-- heartbeats stop, the broker pushes them again, flagged redelivered, to the
-- first. The queue `expiring` has a 50ms TTL and no consumer: its messages
-- expire into `dlq` as well.
local dsim = require "dsim"

dsim.network{ latency = dsim.exponential("1ms") }
local broker = dsim.cluster{ system = "amqp", name = "r", count = 1,
  exchanges = { work = "direct", dead = "fanout" },
  queues = { jobs = { dlx = "dead" }, expiring = { dlx = "dead", ttl = "50ms" }, dlq = {} },
  bindings = { { "work", "jobs", "jobs" }, { "work", "expiring", "expiring" }, { "dead", "dlq" } } }
local jobs = dsim.cluster{ system = "amqp-client", name = "j", count = 3, brokers = { "r1" }, publishers = 1,
                           exchange = "work", keys = { "jobs" }, rate = "150/s", stop = "1s", queues = { "jobs" },
                           prefetch = 5, process = "10ms", nack_every = 10 }
local exp = dsim.cluster{ system = "amqp-client", name = "e", count = 1, brokers = { "r1" }, publishers = 1,
                          exchange = "work", keys = { "expiring" }, rate = "50/s", stop = "1s" }
local dlq = dsim.cluster{ system = "amqp-client", name = "x", count = 1, brokers = { "r1" }, publishers = 0,
                          queues = { "dlq" } }
dsim.at("0.5s", function() jobs[3]:crash() end)
dsim.run("2.5s")

local q = {}
for _, s in ipairs(broker[1].state.queues) do q[s.name] = s end
local survivor, dead = jobs[2].state, dlq[1].state
print(string.format("jobs: enqueued %d, delivered %d, redelivered %d, acked %d, dead-lettered %d",
                    q.jobs.enqueued, q.jobs.delivered, q.jobs.redelivered, q.jobs.acked, q.jobs.dead_lettered))
print(string.format("expiring: enqueued %d, expired %d; dlq received %d", q.expiring.enqueued, q.expiring.expired,
                    dead.received))
print(string.format("surviving consumer: received %d (%d flagged redelivered), rejected %d",
                    survivor.received, survivor.redelivered, survivor.rejected))
dsim.check("the dead consumer's unacked deliveries came back flagged redelivered",
           survivor.redelivered > 0 and q.jobs.redelivered == survivor.redelivered)
dsim.check("nothing left unacked: every job acked or dead-lettered",
           q.jobs.ready == 0 and q.jobs.unacked == 0 and q.jobs.acked + q.jobs.dead_lettered == q.jobs.enqueued)
dsim.check("every expired message dead-lettered", q.expiring.expired == q.expiring.enqueued and q.expiring.expired == 50)
dsim.check("the dead-letter queue got the rejected and the expired",
           dead.received == q.jobs.dead_lettered + q.expiring.expired)
