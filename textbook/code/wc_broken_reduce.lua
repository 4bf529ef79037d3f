-- Word count with a broken reduce function: it adds 1 to the table of counts.
-- The job fails; the scenario stops with the function's file and line.
local dsim = require "dsim"
local M = require "dsim.mapreduce"

local mr = M.cluster{
  workers = 2, replication = 1, reducers = 1,
  map = function(offset, line)
    local out = {}
    for w in line:gmatch("%a+") do out[#out + 1] = { w:lower(), 1 } end
    return out
  end,
  reduce = function(word, counts) return counts + 1 end,
}
mr.put("/in/text", "to be or not to be\n")
dsim.at("1s", function() mr.submit({ "/in/text" }, "/out") end)
dsim.run("10s")
dsim.assert("the job finished", mr.job().phase == "done", mr.job().error)
