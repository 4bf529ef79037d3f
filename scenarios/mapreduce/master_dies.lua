-- The master is the one thing MapReduce does not survive: its task table is in
-- memory, and the 2004 design has no standby (the paper: "the current
-- implementation aborts the MapReduce computation if the master fails"). The
-- master dies while maps run; workers finish what they hold and wait. Checks:
-- the job never completes and no output appears; a restarted master knows no
-- job, so the client must resubmit from zero (the batch problem the streaming
-- chapter answers).
local dsim = require "dsim"
local M = require "dsim.mapreduce"
local L = require "wc_lib"

local mr = M.cluster{ workers = 4, racks = 2, replication = 2, block_size = 2048, reducers = 2, map = L.map,
                      reduce = L.sum, cpu_per_mb = "20s" }
mr.put("/in/text", L.text(32 * 1024))
dsim.at("2s", function() mr.submit({ "/in/text" }, "/out") end)
dsim.run("2100ms")
local before = mr.job()
mr.master:crash()
print(string.format("master crashed at %.2fs with %d of %d maps done", dsim.now(), before.maps_done, before.maps))
dsim.run("20s")
mr.client:inject{ type = "list", path = "/out" }
mr.master:restart()
dsim.run("1s")
local d = mr.done()
local listing = d[#d]
dsim.check("the job was under way when the master died", before.phase == "map" and before.maps_done < before.maps,
           before.phase)
dsim.check("no output was written", listing.ok and #listing.entries == 0, dsim.encode(listing))
dsim.check("the restarted master knows no job: it must be resubmitted", mr.job().phase == "idle", mr.job().phase)
print("the job is lost with its master: resubmit it, and every map runs again")
