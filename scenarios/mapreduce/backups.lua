-- Stragglers and backup tasks. Two identical clusters side by side (word count,
-- 64 KiB of text in 2 KiB blocks, 8 workers), each with one slow worker (w3
-- computes 8 times slower: a bad disk, a busy machine). With backups on, once
-- no task is left to hand out, an idle worker gets a copy of any task running
-- 1.5 times longer than finished ones took on average, and the first copy to
-- finish wins. The paper reports a sort 44% longer without backups. Checks:
-- backups were launched and won; the job without them is at least 20% slower;
-- both outputs are right.
local dsim = require "dsim"
local M = require "dsim.mapreduce"
local L = require "wc_lib"

local text = L.text(64 * 1024)
local want = M.count_words(text)
local function cluster(prefix, backups)
  local mr = M.cluster{ prefix = prefix, workers = 8, racks = 2, replication = 2, block_size = 2048, reducers = 4,
                        map = L.map, reduce = L.sum, combine = L.sum, cpu_per_mb = "20s", backups = backups,
                        slow = { w3 = 8 } }
  mr.put("/in/text", text)
  dsim.at("3s", function() mr.submit({ "/in/text" }, "/out") end)
  return mr
end
local on, off = cluster("on-", true), cluster("off-", false)
dsim.run("60s")
on.fetch(); off.fetch()
dsim.run("2s")
local a, b = on.job(), off.job()
print(string.format("with backups %.3fs (%d launched, %d won); without %.3fs: %.0f%% longer", a.job_s, a.backups,
                    a.backup_wins, b.job_s, 100 * (b.job_s / a.job_s - 1)))
dsim.check("both jobs finished with the right output",
           a.phase == "done" and b.phase == "done" and L.differences(on.result() or {}, want) == 0
           and L.differences(off.result() or {}, want) == 0, a.phase .. " " .. b.phase)
dsim.check("backups were launched and some finished first", a.backups >= 1 and a.backup_wins >= 1 and b.backups == 0,
           a.backups .. " launched, " .. a.backup_wins .. " won")
dsim.check("without backups the slow worker holds the job back (>= 20% longer)", b.job_s >= 1.2 * a.job_s,
           string.format("%.3f vs %.3f", b.job_s, a.job_s))
