-- The idempotent producer. Two clusters side by side, each with one producer
-- (acks = all, retries) and one consumer; the links from the brokers to the
-- producers lose 30% of the messages, so many acknowledgements never arrive and
-- the producer sends the same batches again.
--   idempotent = 0: the leader appends a retried batch a second time; the
--     consumer reads the records twice, and a producer's order goes backwards.
--   idempotent = 1: each batch carries the producer id and its sequence number;
--     the leader recognises a retry and acknowledges it without appending.
local dsim = require "dsim"
local kafka = require "kafka_lib"

dsim.network{ latency = dsim.exponential("1ms") }
local broker = { replication_factor = 3, min_insync_replicas = 2, partitions = 3 }
local function client(idempotent)
  return { producers = 1, rate = "3000/s", batch = 20, linger = "2ms", acks = "all", retries = 50,
           request_timeout = "20ms", idempotent = idempotent, stop = "1.5s", group_id = "g" }
end
local kb1, plain = kafka.cluster{ name = "plain", clients = 2, broker = broker, client = client(0) }
local kb2, idem = kafka.cluster{ name = "idem", clients = 2, broker = broker, client = client(1) }
dsim.link(kb1, plain[1], { loss = "30%" })
dsim.link(kb2, idem[1], { loss = "30%" })
dsim.run("2.5s")

print(kafka.header)
local a = kafka.row("idempotent = 0", plain)
local b = kafka.row("idempotent = 1", idem)
dsim.check("without idempotence, retries duplicate records", a.duplicates > 0 and a.out_of_order > 0,
           a.duplicates .. " duplicates")
dsim.check("with idempotence, no duplicate and no reordering", b.duplicates == 0 and b.out_of_order == 0 and b.lost == 0,
           b.duplicates .. " duplicates, " .. b.out_of_order .. " out of order")
dsim.check("every record acknowledged and processed", a.lost == 0 and b.unique == 4500, b.unique .. " processed")
