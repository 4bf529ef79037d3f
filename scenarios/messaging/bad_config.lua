-- Bad configuration of the messaging systems is refused with one line naming
-- the option (a scenario run with it exits non-zero): an unknown exchange type,
-- a malformed topic pattern, a consumer committing offsets outside any group,
-- min.insync.replicas above the replication factor. A replication factor above
-- the broker count is caught when the brokers start: the check kafka-config
-- fails and the run stops.
local dsim = require "dsim"

local function refused(what, t, expect)
  local ok, err = pcall(dsim.cluster, t)
  dsim.check(what, not ok and tostring(err):find(expect, 1, true) ~= nil and not tostring(err):find("\n"),
             tostring(err))
end
refused("unknown exchange type", { system = "amqp", exchanges = { a = "headers" } }, "unknown type 'headers'")
refused("malformed binding pattern", { system = "amqp", exchanges = { a = "topic" }, queues = { q = {} },
                                       bindings = { { "a", "q", "order..eu" } } }, "malformed topic pattern")
refused("commit without a group", { system = "kafka-client", brokers = { "k1" }, commit = "after" },
        "needs a 'group_id'")
refused("min.insync above the replication factor", { system = "kafka", replication_factor = 2,
                                                     min_insync_replicas = 3 }, "exceeds 'replication_factor'")
refused("acks must be 0, 1 or all", { system = "kafka-client", brokers = { "k1" }, acks = 2 }, "'acks'")
dsim.run("1ms")
