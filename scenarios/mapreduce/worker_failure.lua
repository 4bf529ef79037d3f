-- A worker dies at half the job. Three identical clusters run side by side in
-- one simulation (word count over the same 48 KiB text, 4 KiB blocks, 6
-- workers): "base-" undisturbed; "kill-" loses worker 2 once half its maps are
-- done; "noexec-" loses it at the same point but with reexecute = false. The
-- master notices a worker after 500 ms of silence; a dead worker's finished map
-- output was on its own disk, so the master runs those maps again (the paper's
-- rule) and tells the reducers where the new output is. Checks: the killed run
-- re-executed maps, took longer, and its output is still exactly right; without
-- re-execution the job finishes with a wrong count (the check that catches it).
local dsim = require "dsim"
local M = require "dsim.mapreduce"
local L = require "wc_lib"

local text = L.text(48 * 1024)
local want = M.count_words(text)
local function cluster(prefix, reexecute)
  local mr = M.cluster{ prefix = prefix, workers = 6, racks = 2, replication = 2, block_size = 4096, reducers = 3,
                        map = L.map, reduce = L.sum, combine = L.sum, cpu_per_mb = "20s", reexecute = reexecute,
                        worker_heartbeat = "100ms", worker_timeout = "500ms", timeout = "300ms" }
  mr.put("/in/text", text)
  dsim.at("2s", function() mr.submit({ "/in/text" }, "/out") end)
  return mr
end
local base, kill, noexec = cluster("base-", true), cluster("kill-", true), cluster("noexec-", false)
dsim.run("2s")
while kill.job().maps == 0 or kill.job().maps_done * 2 < kill.job().maps do dsim.run("5ms") end
local half = dsim.now()
kill.workers[2]:crash()
noexec.workers[2]:crash()
print(string.format("worker 2 killed at %.3fs with %d of %d maps done", half, kill.job().maps_done, kill.job().maps))
dsim.run("30s")
for _, mr in ipairs{ base, kill, noexec } do mr.fetch() end
dsim.run("2s")
local b, k, n = base.job(), kill.job(), noexec.job()
local wrong_k, wrong_n = L.differences(kill.result() or {}, want), L.differences(noexec.result() or {}, want)
print(string.format("undisturbed %.3fs; worker killed %.3fs (+%.0f%%, %d maps re-executed); no re-execution %.3fs, "
                    .. "%d words wrong", b.job_s, k.job_s, 100 * (k.job_s / b.job_s - 1), k.reexecuted, n.job_s, wrong_n))
dsim.check("all three jobs finished", b.phase == "done" and k.phase == "done" and n.phase == "done",
           b.phase .. " " .. k.phase .. " " .. n.phase)
dsim.check("the dead worker's finished maps ran again", k.reexecuted >= 1 and n.reexecuted == 0, k.reexecuted)
dsim.check("a worker's death costs time", k.job_s > b.job_s, string.format("%.3f vs %.3f", k.job_s, b.job_s))
dsim.check("with re-execution the output is exactly right", wrong_k == 0 and L.differences(base.result() or {}, want) == 0,
           wrong_k .. " words wrong")
dsim.check("without re-execution the output is wrong", wrong_n > 0, wrong_n)
