-- What synchronous replication costs: write and read latency percentiles of the
-- three replication modes, side by side, under the same load and network.
--
-- Three primary-replica stores of three nodes (async `a`, semi-sync `m`, sync
-- `y`). Every link takes 1-2 ms except replication's: primary to replica takes
-- 5-25 ms, as if the replicas were in another data centre. The same lin-kv load
-- drives each. An async write returns once the primary has applied it; semi-sync
-- waits for the faster replica's acknowledgement, sync for the slower one's.
-- Reads are answered locally by whichever node is asked, so they cost the same
-- in every mode. The scenario prints the table and checks that ordering.
local dsim = require "dsim"
local session = require "dsim.session"

dsim.network{ latency = dsim.uniform("1ms", "2ms") }
local modes = { { "async", "a" }, { "semi-sync", "m" }, { "sync", "y" } }
local stores = {}
for i, m in ipairs(modes) do
  local nodes = dsim.cluster{ system = "primary-replica", count = 3, name = m[2], mode = m[1] }
  dsim.link(nodes[1], nodes[2], { latency = dsim.uniform("5ms", "25ms") })
  dsim.link(nodes[1], nodes[3], { latency = dsim.uniform("5ms", "25ms") })
  local w = dsim.workload{ "lin-kv", nodes = nodes, rate = "100/s", concurrency = 4, keys = 4,
                           timeout = "1s", stop = "4s", clients = "c" .. m[2], check = false }
  stores[i] = { mode = m[1], w = w }
end
dsim.run("5s")

-- The q-quantile (nearest rank) of a sorted list, in milliseconds.
local function pct(list, q)
  if #list == 0 then return 0 end
  return list[math.max(1, math.ceil(q * #list))] * 1000
end

local function latencies(w, f)
  local out = {}
  for _, op in ipairs(session.of_clients(dsim.history(), w.clients)) do
    local same = op.f == f or (f == "write" and op.f == "cas")
    if same and op.outcome == "ok" then out[#out + 1] = op.complete - op.invoke end
  end
  table.sort(out)
  return out
end

print("mode        writes  write p50   p90    p99  |  reads  read p50   p90    p99  (ms)")
for _, st in ipairs(stores) do
  st.wr, st.rd = latencies(st.w, "write"), latencies(st.w, "read")
  print(string.format("%-10s %6d %8.1f %6.1f %6.1f  | %6d %8.1f %6.1f %6.1f", st.mode, #st.wr,
    pct(st.wr, 0.5), pct(st.wr, 0.9), pct(st.wr, 0.99), #st.rd, pct(st.rd, 0.5), pct(st.rd, 0.9), pct(st.rd, 0.99)))
end
local a, m, y = stores[1], stores[2], stores[3]
dsim.check("writes: async p50 < semi-sync p50 < sync p50",
           pct(a.wr, 0.5) < pct(m.wr, 0.5) and pct(m.wr, 0.5) < pct(y.wr, 0.5),
           string.format("%.1f, %.1f, %.1f ms", pct(a.wr, 0.5), pct(m.wr, 0.5), pct(y.wr, 0.5)))
dsim.check("sync writes pay at least one replication round trip (p50 >= 10ms)", pct(y.wr, 0.5) >= 10,
           string.format("%.1f ms", pct(y.wr, 0.5)))
dsim.check("reads cost the same in every mode (p50 within 1ms)",
           math.abs(pct(a.rd, 0.5) - pct(y.rd, 0.5)) < 1 and math.abs(pct(a.rd, 0.5) - pct(m.rd, 0.5)) < 1,
           string.format("%.1f, %.1f, %.1f ms", pct(a.rd, 0.5), pct(m.rd, 0.5), pct(y.rd, 0.5)))
