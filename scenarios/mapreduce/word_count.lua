-- Word count, the paper's first example, over a real public-domain text (the
-- Gettysburg Address, scenarios/mapreduce/data/gettysburg.lua) stored in HDFS in
-- blocks of 256 bytes (cut after a newline, so no line is split), replication 2,
-- on 4 workers in 2 racks; 3 reduce partitions and a combiner. map emits
-- (word, 1) for every word of a line; combine and reduce add. Checks: the job
-- ends; its output equals the count computed here by plain Lua over the same
-- text (what `tr -cs A-Za-z '\n' | tr A-Z a-z | sort | uniq -c` gives); one map
-- task per block; most maps ran where their block is.
local dsim = require "dsim"
local M = require "dsim.mapreduce"
local text = require "data.gettysburg"

local function add(word, counts)
  local n = 0
  for _, c in ipairs(counts) do n = n + c end
  return n
end
local mr = M.cluster{
  workers = 4, racks = 2, replication = 2, block_size = 256, reducers = 3,
  map = function(offset, line)
    local out = {}
    for w in line:gmatch("%a+") do out[#out + 1] = { w:lower(), 1 } end
    return out
  end,
  combine = add, reduce = add,
}
mr.put("/books/gettysburg.txt", text)
dsim.at("2s", function() mr.submit({ "/books/gettysburg.txt" }, "/out/wc") end)
dsim.run("30s")
mr.fetch()
dsim.run("2s")

local job = mr.job()
local got = mr.result() or {}
local want = M.count_words(text)
local wrong, words = 0, 0
for w, n in pairs(want) do
  words = words + 1
  if got[w] ~= n then wrong = wrong + 1 end
end
for w in pairs(got) do if not want[w] then wrong = wrong + 1 end end
print(string.format("job %s in %.2fs: %d map tasks (%d node-local, %d rack-local, %d remote), %d distinct words, "
                    .. "shuffle %d bytes", job.phase, job.job_s, job.maps, job.node_local, job.rack_local, job.remote,
                    words, job.shuffle_bytes))
print(string.format("the: %s, nation: %s, dedicated: %s", got.the, got.nation, got.dedicated))
dsim.check("the job finished", job.phase == "done", job.error or job.phase)
dsim.check("one map task per block", job.maps == mr.done()[1].blocks and job.maps >= 6, job.maps)
dsim.check("the output equals an independent count of the same words", wrong == 0 and words > 100,
           wrong .. " words differ")
dsim.check("most maps read their block from their own disk", job.node_local * 2 > job.maps, job.node_local)
