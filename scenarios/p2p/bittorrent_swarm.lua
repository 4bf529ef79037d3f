-- A BitTorrent swarm: one seeder (1 MB/s uplink, stays), 40 contributors and 10
-- free-riders arriving over the first 20 s (200 KB/s uplinks, they stay after
-- completing), and one peer that serves corrupt blocks. The file: 16 MiB in 64
-- pieces of 256 KiB, 16 KiB blocks, each piece checked against its SHA-256.
-- Tit-for-tat must make the free-riders measurably slower: they get pieces only
-- from seeders and optimistic unchokes. The corrupt peer's pieces fail their hash,
-- are fetched again, and the peer is banned; everybody still completes.
local dsim = require "dsim"

-- Constant latency keeps every link FIFO, as the TCP connections of BitTorrent are.
dsim.network{ latency = "30ms" }
local torrent = { system = "bittorrent", tracker = "tracker", file_size = 16 * 1024 * 1024,
                  piece_size = 256 * 1024, upload = 200000, arrive_over = "20s" }
local function swarm(extra)
  local o = {}
  for k, v in pairs(torrent) do o[k] = v end
  for k, v in pairs(extra) do o[k] = v end
  return dsim.cluster(o)
end
dsim.cluster{ system = "bittorrent_tracker", names = { "tracker" } }
swarm{ name = "seed", count = 1, seed = 1, behaviour = "stay", upload = 1000000, arrive_over = "0s" }
local good = swarm{ name = "p", count = 40, behaviour = "leave" }
local free = swarm{ name = "free", count = 10, behaviour = "free_rider" }
local bad = swarm{ name = "bad", count = 1, behaviour = "corrupt", seed = 1, arrive_over = "0s" }

dsim.run("400s")
local function times(nodes)
  local t, sum, failures = {}, 0, 0
  for _, n in ipairs(nodes) do
    local s = n.state
    failures = failures + s.hash_failures
    if s.done then t[#t + 1] = s.done; sum = sum + s.done end
  end
  table.sort(t)
  return t, #t > 0 and sum / #t or 0, failures
end
local tg, mg, fg = times(good)
local tf, mf = times(free)
print(string.format("contributors: %d of 40 done, mean %.0f s, median %.0f s, slowest %.0f s",
                    #tg, mg, tg[(#tg + 1) // 2] or 0, tg[#tg] or 0))
print(string.format("free-riders:  %d of 10 done, mean %.0f s, median %.0f s, slowest %.0f s",
                    #tf, mf, tf[(#tf + 1) // 2] or 0, tf[#tf] or 0))
print(string.format("pieces that failed their hash and were fetched again: %d", fg))
dsim.check("every contributor completes", #tg == 40, #tg .. " of 40")
dsim.check("every free-rider completes, eventually", #tf == 10, #tf .. " of 10")
dsim.check("free-riders are slower (tit-for-tat)", mf > 1.2 * mg, string.format("%.0f s against %.0f s", mf, mg))
dsim.check("corrupt blocks fail the piece hash and are refetched", fg > 0, tostring(fg))
local penalised = 0
for _, n in ipairs(good) do penalised = penalised + n.state.garbage end
dsim.check("the corrupt peer is dropped by the peers it fed", penalised > 0, tostring(penalised))
