-- The lack of seeders: every leecher leaves as soon as it completes, and the one
-- seeder leaves after 150 s. Peers that arrived early complete; from the moment
-- the last copy of some piece leaves, the pieces that nobody left holds are gone
-- and the latecomers stay stuck however long they wait.
local dsim = require "dsim"

dsim.network{ latency = "30ms" }
local torrent = { system = "bittorrent", tracker = "tracker", file_size = 8 * 1024 * 1024,
                  piece_size = 256 * 1024, upload = 100000 }
local function swarm(extra)
  local o = {}
  for k, v in pairs(torrent) do o[k] = v end
  for k, v in pairs(extra) do o[k] = v end
  return dsim.cluster(o)
end
local tracker = dsim.cluster{ system = "bittorrent_tracker", names = { "tracker" } }
swarm{ name = "seed", count = 1, seed = 1, behaviour = "stay", seed_for = "150s", upload = 500000 }
local peers = swarm{ name = "p", count = 30, behaviour = "leave", arrive_over = "300s" }

dsim.run("900s")
local done, stuck, most = 0, 0, 0
for _, p in ipairs(peers) do
  local s = p.state
  if s.done then done = done + 1 elseif s.arrived then stuck = stuck + 1; most = math.max(most, s.pieces) end
end
print(string.format("%d of 30 completed and left; %d stuck (the best of them holds %d of 32 pieces); " ..
                    "the tracker still lists %d peers", done, stuck, most, tracker[1].state.peers))
dsim.check("early peers complete", done > 0, tostring(done))
dsim.check("latecomers are stuck once the seeder and the finishers are gone", stuck > 0 and most < 32,
           stuck .. " stuck")
