-- Job time against the number of workers. Four clusters side by side, with 1, 4,
-- 16 and 64 workers (8 racks at most), each running word count over the same
-- 64 KiB text in 1 KiB blocks (about 64 map tasks) with 8 reducers, links of
-- 10 MB/s. Adding workers divides the map phase until there are as many
-- workers as blocks; then what is left does not shrink: the reduce phase (8
-- reducers, whatever the cluster), the shuffle, and the master's round trips
-- per task. Checks: 4 workers are at least 2.5x faster than 1; 64 workers are
-- less than 2x faster than 16 (it has stopped scaling).
local dsim = require "dsim"
local M = require "dsim.mapreduce"
local L = require "wc_lib"

dsim.network{ bandwidth = "10MB/s" }
local text = L.text(64 * 1024)
local sizes, runs = { 1, 4, 16, 64 }, {}
for i, n in ipairs(sizes) do
  runs[i] = M.cluster{ prefix = "s" .. n .. "-", workers = n, racks = math.min(n, 8), replication = 1,
                       block_size = 1024, reducers = 8, map = L.map, reduce = L.sum, combine = L.sum,
                       cpu_per_mb = "10s", backups = false }
  runs[i].put("/in/text", text)
  dsim.at("5s", function() runs[i].submit({ "/in/text" }, "/out") end)
end
dsim.run("60s")
local t = {}
print("workers  job time  speed-up  maps node-local")
for i, n in ipairs(sizes) do
  local j = runs[i].job()
  t[n] = j.job_s
  print(string.format("%7d  %7.3fs  %7.1fx  %d of %d", n, j.job_s, t[1] / j.job_s, j.node_local, j.maps))
  dsim.check(n .. " workers: the job finished", j.phase == "done", j.error or j.phase)
end
dsim.check("4 workers are at least 2.5x faster than 1", t[1] >= 2.5 * t[4], string.format("%.3f vs %.3f", t[1], t[4]))
dsim.check("64 workers are less than 2x faster than 16", t[16] < 2 * t[64], string.format("%.3f vs %.3f", t[16], t[64]))
