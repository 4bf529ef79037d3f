-- Consumer groups: partition assignment and rebalancing. Six partitions, one
-- producer, three consumers in the group "g" (at-least-once), one of them idle
-- at first. The coordinator reassigns the partitions when a member joins (0.6s),
-- leaves cleanly (1.2s) and dies (1.8s: noticed after its 150ms session
-- timeout). After each change the members' shares must cover the six
-- partitions exactly once; at the end every acknowledged record was processed
-- and the lag is zero. The same run with round-robin assignment prints the
-- other distribution.
local dsim = require "dsim"
local kafka = require "kafka_lib"

dsim.network{ latency = dsim.exponential("1ms") }
local broker = { replication_factor = 3, min_insync_replicas = 2, partitions = 6 }
local function client(assignment)
  return { producers = 1, rate = "3000/s", batch = 50, linger = "2ms", acks = "all", idempotent = 1,
           stop = "2.4s", group_id = "g", assignment = assignment, idle = 1 }
end
local _, app = kafka.cluster{ name = "range", clients = 4, broker = broker, client = client("range") }
local _, rr = kafka.cluster{ name = "rr", clients = 4, broker = broker, client = client("roundrobin") }

local function shares(a)
  local line, covered, twice = {}, {}, false
  for i = 2, #a do
    local s = a[i].state
    local mine = {}
    for _, p in ipairs(s and s.partitions or {}) do
      mine[#mine + 1] = p.partition
      if covered[p.partition] then twice = true end
      covered[p.partition] = true
    end
    line[#line + 1] = a[i].name .. "=[" .. table.concat(mine, ",") .. "]"
  end
  local n = 0
  for _ in pairs(covered) do n = n + 1 end
  return table.concat(line, " "), n == 6 and not twice
end
local ok = true
local function show(t, what)
  dsim.at(t, function()
    local a, fa = shares(app)
    local b, fb = shares(rr)
    print(string.format("%-5s %-14s range: %-40s round-robin: %s", t, what, a, b))
    ok = ok and fa and fb
  end)
end
show("0.5s", "2 members")
dsim.at("0.6s", function() app[4]:inject{ type = "join" }; rr[4]:inject{ type = "join" } end)
show("1.1s", "3 members")
dsim.at("1.2s", function() app[2]:inject{ type = "leave" }; rr[2]:inject{ type = "leave" } end)
show("1.7s", "one left")
dsim.at("1.8s", function() app[3]:crash(); rr[3]:crash() end)
show("2.3s", "one died")
dsim.run("3s")

print(kafka.header)
local l = kafka.row("range", app)
local m = kafka.row("round-robin", rr)
dsim.check("every partition owned by exactly one member after each rebalance", ok)
dsim.check("no acknowledged record lost", l.lost == 0 and m.lost == 0 and l.acked == 7200, l.acked .. " acked")
dsim.check("the last member caught up", app[4].state.lag == 0 and rr[4].state.lag == 0)
