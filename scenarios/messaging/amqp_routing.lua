-- RabbitMQ's exchanges on the C `amqp` broker: direct (the routing key equals
-- the binding key), topic (patterns of dot-separated words, `*` one word, `#`
-- zero or more) and fanout (every bound queue). Three publishers send 300
-- messages each, cycling through their routing keys; consumers drain every
-- queue. Each queue must hold exactly the messages its bindings select, and
-- every confirmed message must be processed once.
local dsim = require "dsim"

dsim.network{ latency = dsim.exponential("1ms") }
local broker = dsim.cluster{ system = "amqp", name = "r", count = 1,
  exchanges = { orders = "direct", events = "topic", logs = "fanout" },
  queues = { eu = {}, us = {}, books = {}, all = {}, audit = {}, archive = {} },
  bindings = { { "orders", "eu", "eu" }, { "orders", "us", "us" },
               { "events", "books", "order.book.*" }, { "events", "all", "order.#" },
               { "logs", "audit" }, { "logs", "archive" } } }
local function app(name, exchange, keys, queues)
  return dsim.cluster{ system = "amqp-client", name = name, count = 1 + #queues, brokers = { "r1" },
                       publishers = 1, exchange = exchange, keys = keys, rate = "300/s", stop = "1s",
                       queues = queues, prefetch = 5 }
end
local direct = app("d", "orders", { "eu", "us", "asia" }, { "eu", "us" })
local topic = app("t", "events", { "order.book.eu", "order.pen.us", "order", "invoice.book" }, { "books", "all" })
local fanout = app("f", "logs", { "anything" }, { "audit", "archive" })
dsim.run("2s")

local got = {}
for _, q in ipairs(broker[1].state.queues) do got[q.name] = q end
print(string.format("%-8s %9s %9s %9s", "queue", "enqueued", "acked", "ready"))
for _, n in ipairs{ "eu", "us", "books", "all", "audit", "archive" } do
  print(string.format("%-8s %9d %9d %9d", n, got[n].enqueued, got[n].acked, got[n].ready))
end
print("unroutable: " .. broker[1].state.unroutable)
dsim.check("direct: one queue per key, 'asia' unroutable", got.eu.enqueued == 100 and got.us.enqueued == 100)
dsim.check("topic: order.book.* takes one key in four, order.# three", got.books.enqueued == 75 and got.all.enqueued == 225)
dsim.check("fanout: every bound queue gets every message", got.audit.enqueued == 300 and got.archive.enqueued == 300)
dsim.check("unroutable messages counted", broker[1].state.unroutable == 100 + 75)
local l = topic[1].state.ledger
dsim.check("every message confirmed, every routed one processed", l.acked == 300 and got.all.acked == 225, l.acked .. " confirmed")
