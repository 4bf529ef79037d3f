-- The combiner. Word count over the same 32 KiB text twice, side by side: with
-- a combiner (each map task adds up its own (word, 1) pairs before the shuffle)
-- and without. Checks: the combiner cuts the shuffle's bytes at least fivefold
-- (a text has few distinct words and many repeats), and both outputs agree.
local dsim = require "dsim"
local M = require "dsim.mapreduce"
local L = require "wc_lib"

local text = L.text(32 * 1024)
local function cluster(prefix, combine)
  local mr = M.cluster{ prefix = prefix, workers = 4, racks = 2, replication = 2, block_size = 4096, reducers = 2,
                        map = L.map, reduce = L.sum, combine = combine }
  mr.put("/in/text", text)
  dsim.at("2s", function() mr.submit({ "/in/text" }, "/out") end)
  return mr
end
local with, without = cluster("c-", L.sum), cluster("n-", nil)
dsim.run("30s")
with.fetch(); without.fetch()
dsim.run("2s")
local a, b = with.job(), without.job()
print(string.format("shuffle bytes: %d with the combiner, %d without (%.1fx less)", a.shuffle_bytes, b.shuffle_bytes,
                    b.shuffle_bytes / a.shuffle_bytes))
dsim.check("both jobs finished", a.phase == "done" and b.phase == "done", a.phase .. " " .. b.phase)
dsim.check("the combiner cuts shuffle bytes at least fivefold", a.shuffle_bytes * 5 <= b.shuffle_bytes,
           a.shuffle_bytes .. " vs " .. b.shuffle_bytes)
local want = M.count_words(text)
dsim.check("both outputs are right", L.differences(with.result() or {}, want) == 0
           and L.differences(without.result() or {}, want) == 0, "differ")
