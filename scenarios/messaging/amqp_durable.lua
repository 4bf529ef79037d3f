-- Durable queues and persistent messages across a broker crash. One broker,
-- three queues; each has a publisher (300 messages/s for 1s, confirms on) and a
-- slow consumer (10ms a message), so a backlog waits in the queues when the
-- broker crashes at 1s (it returns at 1.2s).
--   durable queue, persistent messages: written and synced before the confirm,
--     recovered after the restart (flagged redelivered): none lost.
--   durable queue, transient messages: only in memory: the backlog is lost.
--   transient queue, persistent messages: the queue itself is not recovered.
local dsim = require "dsim"
local kafka = require "kafka_lib"

dsim.network{ latency = dsim.exponential("1ms") }
local broker = dsim.cluster{ system = "amqp", name = "r", count = 1, exchanges = { x = "direct" },
  queues = { kept = { durable = 1 }, mem = { durable = 1 }, gone = { durable = 0 } },
  bindings = { { "x", "kept", "kept" }, { "x", "mem", "mem" }, { "x", "gone", "gone" } } }
local function app(name, queue, persistent)
  return dsim.cluster{ system = "amqp-client", name = name, count = 2, brokers = { "r1" }, publishers = 1,
                       exchange = "x", keys = { queue }, rate = "300/s", stop = "1s", persistent = persistent,
                       queues = { queue }, prefetch = 1, process = "10ms" }
end
local kept, mem, gone = app("a", "kept", 1), app("b", "mem", 0), app("c", "gone", 1)
dsim.at("1s", function() broker[1]:crash() end)
dsim.at("1.2s", function() broker[1]:restart() end)
dsim.run("5s")

print(kafka.header)
local a = kafka.row("durable + persistent", kept)
local b = kafka.row("durable + transient", mem)
local c = kafka.row("transient queue", gone)
dsim.check("durable queue, persistent messages: none lost", a.lost == 0 and a.acked == 300, a.lost .. " lost")
dsim.check("transient messages lost in the crash", b.lost > 100, b.lost .. " lost")
dsim.check("a transient queue loses everything it held", c.lost > 100, c.lost .. " lost")
dsim.check("recovered messages are flagged redelivered", kept[2].state.redelivered > 0)
