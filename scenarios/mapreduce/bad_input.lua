-- Bad input gets one line naming what is wrong, and never a crash: a reduce
-- function that errors fails the job with its file and line; a missing input
-- file fails the job naming the path; a replication factor above the number of
-- nodes and a block size of 0 are refused when the cluster is built.
local dsim = require "dsim"
local M = require "dsim.mapreduce"
local L = require "wc_lib"

local ok, err = pcall(M.cluster, { workers = 2, replication = 3, map = L.map, reduce = L.sum })
print(err)
dsim.check("replication above the workers is refused, naming the option", not ok and err:find("'replication'"), err)
ok, err = pcall(M.cluster, { workers = 2, block_size = 0, map = L.map, reduce = L.sum })
print(err)
dsim.check("a block size of 0 is refused, naming the option", not ok and err:find("'block_size'"), err)

local broken = M.cluster{ prefix = "b-", workers = 2, replication = 1, map = L.map,
                          reduce = function(key, counts) return counts + 1 end }   -- adds a number to a table
broken.put("/in/text", "a b c\n")
local missing = M.cluster{ prefix = "m-", workers = 2, replication = 1, map = L.map, reduce = L.sum }
dsim.at("1s", function()
  broken.submit({ "/in/text" }, "/out")
  missing.submit({ "/in/nothing-here" }, "/out")
end)
dsim.run("10s")
local b, m = broken.job(), missing.job()
print(b.error)
print(m.error)
dsim.check("a reduce function's error fails the job, with its line", b.phase == "failed"
           and b.error:find("^reduce: ") and b.error:find("bad_input.lua:%d+:"), b.error or b.phase)
dsim.check("a missing input fails the job, naming the path", m.phase == "failed"
           and m.error:find("/in/nothing%-here: no such file"), m.error or m.phase)
