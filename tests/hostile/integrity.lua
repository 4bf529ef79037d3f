-- Grading integrity (issue 11): a student module (student/cheat.lua) tries to
-- lift its limits, replace the grader's checks and the library, and to write
-- into the dsim table from a handler. Every attempt must fail; the grader's own
-- checks still run. Also: require refuses a symbolic link out of the folder
-- (tests/hostile/link leads to lua/dsim), and a global of the scenario's own
-- is still fine.
local dsim = require "dsim"
local cheat = require "student.cheat"

for _, t in ipairs(cheat.tried) do
  dsim.check("refused: " .. t.name, not t.ok, t.err)
end
dsim.check("dsim.check is the real one", type(dsim.check) == "function" and dsim.check ~= nil)
dsim.check("string.format still formats", string.format("%d", 5) == "5")
dsim.check("pairs still lists", (function() local n = 0 for _ in pairs({ a = 1, b = 2 }) do n = n + 1 end return n end)() == 2)
my_global = 5
dsim.check("scenario globals are free", my_global == 5)
local names = {}
for k in pairs(dsim) do names[#names + 1] = k end
dsim.check("pairs over dsim lists its functions", #names > 20)
local ok, err = pcall(require, "link.workload")
dsim.check("require refuses a link out of the folder", not ok and tostring(err):find("leads outside", 1, true) ~= nil, tostring(err))

local wrote
dsim.cluster{ program = { receive = cheat.receive }, count = 1 }
dsim.cluster{ program = { receive = function(self, from, msg) wrote = msg.wrote end }, count = 1, name = "g" }
dsim.at("1ms", function() dsim.inject("n1", { type = "go" }) end)
dsim.at("2ms", function() end)
dsim.run("10ms")
dsim.check("a handler cannot write into dsim", wrote == false)
