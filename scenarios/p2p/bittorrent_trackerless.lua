-- Trackerless BitTorrent (BEP 5): no tracker node at all. Every peer also runs a
-- Kademlia node (k = 8); it finds the swarm with get_peers(infohash) and joins it
-- with announce_peer, whose token proves it asked first. The seeder is the DHT's
-- bootstrap node. 20 leechers arrive over 20 s and must all complete.
local dsim = require "dsim"

dsim.network{ latency = "30ms" }
local torrent = { system = "bittorrent", dht = "seed1", file_size = 4 * 1024 * 1024,
                  piece_size = 256 * 1024, upload = 200000, dht_every = "10s" }
local function swarm(extra)
  local o = {}
  for k, v in pairs(torrent) do o[k] = v end
  for k, v in pairs(extra) do o[k] = v end
  return dsim.cluster(o)
end
swarm{ name = "seed", count = 1, seed = 1, behaviour = "stay", upload = 1000000 }
local peers = swarm{ name = "p", count = 20, behaviour = "stay", arrive_over = "20s" }

dsim.run("300s")
local done, slowest, conns = 0, 0, 0
for _, p in ipairs(peers) do
  local s = p.state
  conns = conns + s.conns
  if s.done then done = done + 1; slowest = math.max(slowest, s.done) end
end
print(string.format("%d of 20 completed with no tracker (slowest %.0f s), %.1f connections a peer",
                    done, slowest, conns / #peers))
dsim.check("every leecher finds the swarm through the DHT and completes", done == 20, done .. " of 20")
