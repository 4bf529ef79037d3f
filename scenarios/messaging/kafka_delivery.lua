-- At-most-once against at-least-once, the same consumer crash. Two clusters
-- side by side, each: 3 brokers, one producer (acks = all, idempotent), two
-- consumers in one group that take 20ms to process each fetch. At 1s the first
-- consumer crashes in the middle of processing; after its session times out the
-- coordinator gives its partitions to the other consumer, which starts at the
-- committed offsets.
--   commit = "before" (at-most-once): the crashed consumer had committed what
--     it was processing, so those records are never processed: lost.
--   commit = "after" (at-least-once): it had processed records it had not yet
--     committed, so the other consumer processes them again: duplicates.
local dsim = require "dsim"
local kafka = require "kafka_lib"

dsim.network{ latency = dsim.exponential("1ms") }
local broker = { replication_factor = 3, min_insync_replicas = 2, partitions = 4 }
local function client(commit)
  return { producers = 1, rate = "4000/s", batch = 50, linger = "2ms", acks = "all", idempotent = 1,
           stop = "2s", group_id = "g", commit = commit, process = "20ms" }
end
local _, amo = kafka.cluster{ name = "amo", clients = 3, broker = broker, client = client("before") }
local _, alo = kafka.cluster{ name = "alo", clients = 3, broker = broker, client = client("after") }
dsim.at("1s", function() amo[2]:crash(); alo[2]:crash() end)
dsim.run("3s")

print(kafka.header)
local a = kafka.row("at-most-once", amo)
local b = kafka.row("at-least-once", alo)
dsim.check("at-most-once loses records in the crash", a.lost > 0, a.lost .. " lost")
dsim.check("at-least-once loses none", b.lost == 0 and b.acked == 8000, b.lost .. " lost of " .. b.acked)
dsim.check("at-least-once processes some twice", b.duplicates > 0, b.duplicates .. " duplicates")
