-- The article's example: claps per day in April 2017. A synthetic clap log,
-- seeded (one line per clap: date, time, user, article), is written into HDFS
-- in 2 KiB blocks; map turns a line into (date, 1), the combiner and reduce add.
-- Checks: 30 days in the output, each with the count computed here directly
-- from the generated log.
local dsim = require "dsim"
local M = require "dsim.mapreduce"
local L = require "wc_lib"

local lines, want = {}, {}
for i = 1, 3000 do
  local day = math.random(30)
  local date = string.format("2017-04-%02d", day)
  lines[i] = string.format("%s %02d:%02d:%02d user=%d article=%d clap", date, math.random(0, 23),
                           math.random(0, 59), math.random(0, 59), math.random(500), math.random(80))
  want[date] = (want[date] or 0) + 1
end
local log = table.concat(lines, "\n") .. "\n"

local mr = M.cluster{
  workers = 6, racks = 2, replication = 2, block_size = 2048, reducers = 2,
  map = function(offset, line)
    local date = line:match("^(2017%-04%-%d%d) ")
    if date then return { { date, 1 } } end
    return {}
  end,
  combine = L.sum, reduce = L.sum,
}
mr.put("/logs/claps-2017-04.log", log)
dsim.at("2s", function() mr.submit({ "/logs/claps-2017-04.log" }, "/out/claps") end)
dsim.run("60s")
mr.fetch()
dsim.run("2s")
local job, got = mr.job(), mr.result() or {}
local days = 0
for _ in pairs(got) do days = days + 1 end
print(string.format("%d claps in a %d-byte log, %d map tasks; job %.2fs; April 1: %s, April 30: %s", #lines, #log,
                    job.maps, job.job_s, got["2017-04-01"], got["2017-04-30"]))
dsim.check("the job finished", job.phase == "done", job.error or job.phase)
dsim.check("30 days, each with the right number of claps", days == 30 and L.differences(got, want) == 0,
           days .. " days, " .. L.differences(got, want) .. " wrong")
