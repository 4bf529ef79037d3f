-- Kademlia under churn: 300 nodes (k = 8); after everyone has joined, every node
-- but the bootstrap node lives sessions of Pareto(20 s, alpha 1.5) (heavy-tailed:
-- most sessions short, a few very long) and stays down Exp(20 s) between them,
-- coming back with its old id and joining again. Values are republished every
-- 30 s and expire after 10 minutes. Lookups keep succeeding because each value lives on k nodes and the
-- routing tables drop silent contacts; the tables are never perfectly fresh (the
-- stale fraction is printed). A peer that sends garbage (a Lua node sending
-- find_node as JSON, then a forged contact list) is dropped and banned, never a
-- crash.
local dsim = require "dsim"

dsim.network{ latency = dsim.uniform("10ms", "60ms") }
local dht = dsim.cluster{ system = "kademlia", name = "k", count = 300, k = 8, publish = 20,
                          lookup_every = "5s", join_spread = "5s", republish = "30s", ttl = "600s",
                          rpc_timeout = "300ms" }
local session, downtime = dsim.pareto("20s", 1.5, "600s"), dsim.exponential("20s")
local function secs(x) return string.format("%.3fs", x) end
local function live(node, at)
  dsim.at(secs(at), function()
    node:crash()
    local back = at + downtime:sample()
    dsim.at(secs(back), function() node:restart(); live(node, back + session:sample()) end)
  end)
end
for i = 2, #dht do live(dht[i], 20 + session:sample()) end

local bad = {}
function bad.start(self) self:set_timer("spam", "60s") end
function bad.timer(self, name)
  self:send("k1", { type = "find_node", target = "garbage" })
  self:send("k1", { type = "ping" })      -- banned by now: dropped unread
end
dsim.cluster{ program = bad, name = "mallory", count = 1 }

dsim.run("140s")
local d = dht[1].state.dht
local stale, contacts, down = 0, 0, 0
for _, n in ipairs(dht) do
  local s = n.state
  if s then stale, contacts = stale + s.stale, contacts + s.contacts else down = down + 1 end
end
print(string.format("%d lookups, %.1f%% found, %.2f hops, %.0f ms on average; %d RPC timeouts; " ..
                    "%d of 300 nodes down at the end; %.1f%% of routing-table contacts stale",
                    d.lookups, 100 * d.found / d.lookups, d.hops_mean, d.latency_ms_mean, d.rpc_timeouts,
                    down, 100 * stale / contacts))
dsim.check("churn happened", down > 30, down .. " down")
dsim.check("lookups mostly succeed under churn", d.found >= 0.9 * d.lookups, d.found .. " of " .. d.lookups)
dsim.check("silent contacts time out", d.rpc_timeouts > 0)
dsim.check("garbage is dropped and its sender banned", d.garbage_dropped >= 1 and dht[1].state.banned == 1,
           d.garbage_dropped .. " dropped, " .. dht[1].state.banned .. " banned")
