-- unclean.leader.election, on and off, under the same faults: two clusters of
-- five brokers, one partition replicated on three of them, min.insync.replicas
-- 1, acks = all, logs synced on every append. At 0.5s both followers crash: the leader shrinks the ISR to
-- itself and goes on acknowledging alone. At 1.2s the leader crashes; at 1.3s
-- the two stale followers return; at 2.2s the old leader returns.
--   unclean = 1 (AP): the controller makes a stale follower leader at once;
--     what the old leader acknowledged alone is gone, and the old leader, when
--     it returns, truncates its log to the new leader's: acknowledged records
--     are missing from the log (consumers that read them in time saw them; a
--     consumer that replays the partition never will).
--   unclean = 0 (CP): no ISR member is alive, so the partition has no leader
--     and producers wait (retrying) until the old leader returns: nothing lost.
local dsim = require "dsim"
local kafka = require "kafka_lib"

dsim.network{ latency = dsim.exponential("1ms") }
local function broker(unclean)
  return { replication_factor = 3, min_insync_replicas = 1, partitions = 1, unclean_leader_election = unclean,
           flush = "always" }
end
local client = { producers = 1, rate = "2000/s", batch = 100, linger = "2ms", acks = "all", retries = 1000,
                 request_timeout = "100ms", idempotent = 1, stop = "2.6s", group_id = "g" }
local ap, ap_app = kafka.cluster{ name = "ap", brokers = 5, clients = 2, broker = broker(1), client = client }
local cp, cp_app = kafka.cluster{ name = "cp", brokers = 5, clients = 2, broker = broker(0), client = client }

-- The leader of partition 0 and its followers, from the brokers' own view.
local function roles(brokers)
  local leader, followers = nil, {}
  for _, h in ipairs(brokers) do
    for _, p in ipairs(h.state.partitions) do
      if p.leader == h.state.rank then leader = h else followers[#followers + 1] = h end
    end
  end
  return leader, followers
end
local cast = {}
for _, c in ipairs{ ap, cp } do
  dsim.at("0.5s", function()
    local l, f = roles(c)
    cast[c] = { leader = l, followers = f }
    for _, h in ipairs(f) do h:crash() end
  end)
  dsim.at("1.2s", function() cast[c].leader:crash() end)
  dsim.at("1.3s", function() for _, h in ipairs(cast[c].followers) do h:restart() end end)
  dsim.at("2.2s", function() cast[c].leader:restart() end)
end
local leaderless = { [ap] = 0, [cp] = 0 }
dsim.every("10ms", function()
  for _, c in ipairs{ ap, cp } do
    local any = false
    for _, h in ipairs(c) do
      local s = h.state
      for _, p in ipairs(s and s.partitions or {}) do if p.leader == s.rank then any = true end end
    end
    if not any and dsim.now() > 1.2 then leaderless[c] = leaderless[c] + 10 end
  end
end)
dsim.run("4s")

-- The partition's log at the end (the leader's log end): every acknowledged
-- record should be in it once (the producer is idempotent).
local function log_end(brokers)
  for _, h in ipairs(brokers) do
    local s = h.state
    for _, p in ipairs(s and s.partitions or {}) do if p.leader == s.rank then return p.leo end end
  end
  return 0
end
print(kafka.header)
local la = kafka.row("unclean on (AP)", ap_app)
local lc = kafka.row("unclean off (CP)", cp_app)
local gone_ap, gone_cp = la.acked - log_end(ap), lc.acked - log_end(cp)
print(string.format("acknowledged records missing from the final log: AP %d, CP %d", gone_ap, gone_cp))
print(string.format("no leader after the crash: AP %dms, CP %dms", leaderless[ap], leaderless[cp]))
dsim.check("unclean election loses acknowledged records", gone_ap > 0, gone_ap .. " missing")
dsim.check("clean election loses none", gone_cp == 0 and lc.lost == 0 and lc.acked > 4000, gone_cp .. " missing")
dsim.check("clean election: unavailable until the ISR member returns", leaderless[cp] >= 500 and leaderless[ap] < 300,
           leaderless[cp] .. "ms against " .. leaderless[ap] .. "ms")
