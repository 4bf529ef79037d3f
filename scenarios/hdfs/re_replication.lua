-- Re-replication: 12 data nodes on 4 racks hold 30 files of 8 size-only blocks
-- (240 blocks, replication 3). Data nodes beat every second; the name node
-- declares one dead after 5 s of silence and orders copies, at most 2 per source
-- node a second. First one data node dies, then a whole rack (3 nodes). Checks:
-- the name node notices each death; every block is back at 3 good replicas
-- afterwards; no block was ever lost, because placement put every block on two
-- racks. Prints the time from each crash to full replication.
local dsim = require "dsim"
local H = require "dsim.hdfs"

local fs = H.cluster{ racks = 4, per_rack = 3, replication = 3, block_size = 65536,
                      heartbeat = "1s", dead_after = "5s", monitor = "1s", streams = 2 }
dsim.at("1s", function()
  for i = 1, 30 do fs.write(string.format("/data/part-%02d", i), nil, { size = 8 * 65536 }) end
end)
dsim.run("10s")
local st = fs.nn_state()
dsim.check("240 blocks written, all at replication 3", st.blocks == 240 and st.min_replicas == 3, dsim.encode(st))
dsim.check("every block spans two racks", st.one_rack_blocks == 0, st.one_rack_blocks)

local function kill(nodes, at)
  dsim.at(at, function() for _, n in ipairs(nodes) do n:crash() end end)
end
kill({ fs.node("dn1") }, "10s")
dsim.run("30s")
st = fs.nn_state()
local one = st.replicated_s - 10
print(string.format("one node dead at 10s: noticed at %.1fs, every block back at 3 replicas %.1fs after the crash (%d copies)",
                    st.last_death_s, one, st.re_replicated))
dsim.check("the dead node was noticed", st.dead == 1 and st.live == 11, dsim.encode(st))
dsim.check("every block is back at 3 replicas", st.below_target == 0 and st.min_replicas == 3, dsim.encode(st))

kill(fs.racks[2], "40s")
dsim.run("60s")
st = fs.nn_state()
local rack = st.replicated_s - 40
print(string.format("rack /r2 dead at 40s: every block back at 3 replicas %.1fs after the crash (%d copies in all)",
                    rack, st.re_replicated))
dsim.check("a rack's death loses no block", st.missing == 0, st.missing)
dsim.check("every block is back at 3 replicas after the rack died", st.below_target == 0 and st.min_replicas == 3,
           dsim.encode(st))
dsim.check("re-replication took longer than detection and ended", one > 5 and rack > one and rack < 60,
           string.format("%.1fs, %.1fs", one, rack))
