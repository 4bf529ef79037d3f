-- Helpers for the kafka scenarios: a broker cluster with its application (the
-- kafka-client producers and consumer group) in one call, and the ledger's
-- figures printed as one row.
local dsim = require "dsim"
local M = {}

-- M.cluster{ name = "a", brokers = 3, clients = 4, broker = {options}, client = {options} }
-- returns the broker handles and the client handles.
function M.cluster(o)
  local b = { system = "kafka", name = o.name, count = o.brokers or 3 }
  for k, v in pairs(o.broker or {}) do b[k] = v end
  local brokers = dsim.cluster(b)
  local names = {}
  for i, h in ipairs(brokers) do names[i] = h.name end
  local c = { system = "kafka-client", name = o.name .. "c", count = o.clients or 4, brokers = names }
  for k, v in pairs(o.client or {}) do c[k] = v end
  return brokers, dsim.cluster(c)
end

-- The broker that leads the most partitions of the topic, as the brokers see it now.
function M.busiest(brokers)
  local count = {}
  for _, p in ipairs(brokers[1].state.partitions) do count[p.leader] = (count[p.leader] or 0) + 1 end
  local best, n = 1, -1
  for r = 1, #brokers do if (count[r] or 0) > n then best, n = r, count[r] or 0 end end
  return brokers[best]
end

M.header = string.format("%-22s %8s %8s %8s %8s %6s %6s %10s", "", "sent", "acked", "unique", "lost", "dups",
                         "order", "e2e p50")
function M.row(label, app)
  local l = app[1].state.ledger
  print(string.format("%-22s %8d %8d %8d %8d %6d %6d %8.1fms", label, l.sent, l.acked, l.unique, l.lost,
                      l.duplicates, l.out_of_order, l.latency_e2e_p50_ms))
  return l
end

return M
