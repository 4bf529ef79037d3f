-- Error paths of the scenario API, one case per seed: `dsim run
-- tests/lua/errors.lua --seed N` runs case N. tests/check_lua.c finds the line
-- of each case by its marker "@N" (the line where the error must be reported)
-- and checks that the message names this file and that line, and the exit
-- code: 2 for scenario errors, 1 for errors in node programs (failed checks).
local dsim = require "dsim"

local stash
local spin = coroutine.create(function() while true do end end) -- @17
local prog = {}
function prog.receive(self, from, msg)
  if msg.type == "loop" then while true do end end -- @10
  if msg.type == "leak" then local t = {} while true do t[#t + 1] = ("x"):rep(64) .. #t end end -- @11
  if msg.type == "nil" then local x = nil; return x.field end -- @12
  if msg.type == "catch" then while true do pcall(function() while true do end end) end end -- @13
  if msg.type == "api" then dsim.crash("n2") end -- @14
  if msg.type == "encode" then self:send("n2", { f = print }) end -- @15
  if msg.type == "wrap" then local co = coroutine.wrap(function() while true do end end); co() end -- @16
  if msg.type == "resume" then coroutine.resume(spin) end
  if msg.type == "huge" then local s = ("x"):rep(1 << 30) end -- @18
  if msg.type == "dot" then self.send("n2", {}) end -- @19
  if msg.type == "regex" then return ("a"):rep(40):find(("a?"):rep(40) .. ("a"):rep(40)) end
  if msg.type == "other" then stash:send("n1", {}) end -- @20
  if msg.type == "bare" then self:set_timer("t", 10) end -- @43
end
function prog.start(self) if self.name == "n1" then stash = self end end

local nodes = dsim.cluster{ program = prog, count = 2 }
local function node_case(kind) return function() nodes[1]:inject{ type = kind } end end

local cases = {
  [1] = function() dsim.partition({ "n1" }, { "n9" }) end, -- @1
  [2] = function() dsim.at("10 ms", function() end) end, -- @2
  [3] = function() dsim.cluster{ system = "nope" } end, -- @3
  [4] = function() dsim.cluster{ system = "broadcast", bogus = 1 } end, -- @4
  [5] = function() dsim.crash(42) end, -- @5
  [6] = function() dsim.at("5ms", function() local t = nil; t.x = 1 end) end, -- @6
  [7] = function() dsim.network{ latancy = "1ms" } end, -- @7
  [8] = function() dsim.network{ loss = 1.5 } end, -- @8
  [9] = function() dsim.crash("n1"); dsim.crash("n1") end, -- @9
  [10] = node_case("loop"), [11] = node_case("leak"), [12] = node_case("nil"), [13] = node_case("catch"),
  [14] = node_case("api"), [15] = node_case("encode"), [16] = node_case("wrap"), [17] = node_case("resume"),
  [18] = node_case("huge"), [19] = node_case("dot"), [20] = function() nodes[2]:inject{ type = "other" } end,
  [21] = function() dsim.cluster{ program = prog, cout = 3 } end, -- @21
  [22] = function() dsim.run("1s"); dsim.at("10ms", print) end, -- @22
  [23] = function() dsim.at("5ms", function() dsim.run("1s") end) end, -- @23
  [24] = function() dsim.workload{ "nope", nodes = nodes } end, -- @24
  [25] = function() dsim.nemesis{ crash = true, bogus = 1 } end, -- @25
  [26] = function() return nodes[1].bogus end, -- @26
  [27] = function() error({}) end, -- @27
  [28] = function() require "nothere" end, -- @28
  [29] = function() require "../../etc/passwd" end, -- @29
  [30] = function() dsim.limits{ scenario_instructions = 1000000 }; while true do end end, -- @30
  [31] = function() return "no-run" end,
  [32] = function() dsim.limits{ memory = "16MiB" }; local t = {} while true do t[#t + 1] = {} end end, -- @32
  [33] = function() dsim.at(-1, print) end, -- @33
  [34] = function() dsim.every("0s", print) end, -- @34
  [35] = function() dsim.uniform("20ms", "1ms") end, -- @35
  [36] = function() dsim.skew("n1", "soon") end, -- @36
  [37] = function() dsim.workload{ "lin-kv", nodes = nodes, rate = "fast" } end, -- @37
  [38] = function() dsim.cluster{ program = { receive = 42 } } end, -- @38
  [41] = function() dsim.limits{ pattern_cpu = "300ms" }; nodes[1]:inject{ type = "regex" } end,
  [39] = function() dsim.invariant("x", function() return false, "broken" end) end,
  [40] = function() dsim.at("1ms", dsim.heal); dsim.at("2ms", dsim.restart) end, -- @40
  [42] = function() dsim.network{ latency = 5 } end, -- @42
  [43] = node_case("bare"),
  [44] = function() dsim.after(0.25, print) end, -- @44
  [45] = function() dsim.workload{ "echo", nodes = nodes, timeout = 2 } end, -- @45
}
if dsim.seed() == 11 then dsim.limits{ memory = "32MiB" } end
local case = cases[dsim.seed()]
if case and case() == "no-run" then return end
dsim.run("100ms")
