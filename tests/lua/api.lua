-- The scenario API, end to end: units, messages, scheduling, node programs
-- (timers, peers, clocks, disks), faults, invariants, history and statistics.
-- Every statement of what must hold is a check; tests/check_lua.c runs this
-- with --trace and expects every check to pass, and counts them.
local dsim = require "dsim"
local helper = require "api_helper"                   -- a module from this folder

-- ---- units and messages ----
dsim.check("module from the scenario folder", helper.answer == 42)
dsim.check("durations", dsim.duration("1.5s") == 1.5 and dsim.duration("250us") == 0.00025 and dsim.duration(0) == 0)
dsim.check("computed durations", dsim.s(1.5) == "1500ms" and dsim.ms(2.5) == "2500us" and dsim.us(0.0014) == "1ns" and
  dsim.ns(7) == "7ns" and dsim.s(0) == "0ms" and dsim.duration(dsim.ms(0.2)) == 0.0002, dsim.s(1.5) .. " " .. dsim.ms(2.5))
dsim.check("rates and probabilities", dsim.rate("200/s") == 200 and dsim.prob("5%") == 0.05 and dsim.prob(0.5) == 0.5)
dsim.check("distributions print", tostring(dsim.uniform("1ms", "20ms")) == "uniform(1ms, 20ms)", tostring(dsim.uniform("1ms", "20ms")))
dsim.check("canonical JSON", dsim.encode{ b = 1, a = { 1, 2.5, {} }, c = dsim.object(), d = "q\"\n" } ==
  '{"a":[1,2.5,[]],"b":1,"c":{},"d":"q\\"\\u000a"}', dsim.encode{ b = 1, a = { 1, 2.5, {} }, c = dsim.object(), d = "q\"\n" })
dsim.check("integer keys round trip", dsim.decode(dsim.encode{ [10] = "x", [2] = "y" })[10] == "x" and
  dsim.encode{ [10] = "x", [2] = "y" } == '{"10":"x","2":"y"}')
dsim.check("decode", dsim.decode('{"a":[1,{"b":null}],"u":"\\u00e9"}').u == "\u{e9}")
dsim.check("a sparse table is an object", dsim.encode{ [1] = 1, [3] = 3 } == '{"1":1,"3":3}')
dsim.check("string patterns still work", (function()
  local words = {}
  for w in ("b=2, a=1"):gmatch("(%w+)=") do words[#words + 1] = w end
  local swapped = ("b=2, a=1"):gsub("(%w+)=(%w+)", function(k, v) return v .. "=" .. k end)
  return table.concat(words) == "ba" and swapped == "2=b, 1=a" and ("x.y"):find(".", 1, true) == 2
end)())

-- ---- node programs ----
local fired = {}
local pinger = {}
function pinger.start(self, disk)
  self.got, self.boots = {}, (disk.boots or 0) + 1
  self.disk.boots = self.boots
  if self.name == "p1" then
    self.disk.synced = true
    self:sync()
    self.disk.unsynced = true                          -- lost at the crash
  end
  self:set_timer("once", "10ms")
  self:set_timer("once", "20ms")                       -- re-arms: fires once, at 20ms
  self:set_timer("never", "5ms")
  self.cancelled = self:cancel_timer("never")
  self.cancel_none = self:cancel_timer("nothing")
  self.peer_names = table.concat(self:peers(), ",")
  self.opt = self.options and self.options.greeting
end
function pinger.timer(self, name)
  fired[#fired + 1] = self.name .. ":" .. name .. "@" .. self:now()
  self.local_clock = self:now()
  self:annotate("role", "pinger")
  self:log("timer", name, { "not", "shown" })
end
function pinger.receive(self, from, msg)
  self.got[#self.got + 1] = (from or "scenario") .. ":" .. msg.type
  if msg.type == "ping" then self:send(from, { type = "pong", n = msg.n }) end
  if msg.type == "go" then self:send(msg.to, { type = "ping", n = 1 }) end
end
local pingers = dsim.cluster{ program = pinger, count = 3, name = "p", group = "g", options = { greeting = "hi" } }
local echoes = dsim.cluster{ system = "echo", name = "e", group = "g" }

dsim.at("30ms", function()
  local st = pingers[1].state
  dsim.check("handles", pingers[1].name == "p1" and dsim.node("p1") == pingers[1] and #dsim.nodes() == 5)
  dsim.check("a timer re-armed fires once", table.concat(fired, " ") == "p1:once@0.02 p2:once@0.02 p3:once@0.02",
             table.concat(fired, " "))
  dsim.check("cancel_timer", st.cancelled == true and st.cancel_none == false)
  dsim.check("peers: the whole group, C nodes too", st.peer_names == "p2,p3,e1", st.peer_names)
  dsim.check("options reach self.options", st.opt == "hi")
  dsim.check("state is a copy", (function() st.boots = 99; return pingers[1].state.boots == 1 end)())
  dsim.check("status and clock", pingers[1].status == "up" and pingers[1].clock == 0.03)
  dsim.skew("p2", "-10ms", 100000)
  pingers[1]:crash()
end)
dsim.at("40ms", function()
  dsim.check("crash", pingers[1].status == "down" and pingers[1].state == nil)
  dsim.check("only the synced disk survives", pingers[1].disk.synced == true and pingers[1].disk.unsynced == nil,
             dsim.encode(pingers[1].disk))
  pingers[1]:restart()
end)
dsim.at("41ms", function()
  dsim.check("restart runs start with the disk", pingers[1].state.boots == 2, pingers[1].state.boots)
  dsim.check("skewed clock", math.abs(pingers[2].clock - (0.041 - 0.010 + 0.011 * 0.1)) < 1e-9, pingers[2].clock)
end)

-- ---- faults ----
dsim.at("50ms", function()
  dsim.cut("p2", "p3")                                 -- one way
  pingers[2]:inject{ type = "go", to = "p3" }          -- p2 -> p3: cut
  pingers[3]:inject{ type = "go", to = "p2" }          -- p3 -> p2: fine
end)
dsim.at("60ms", function()
  dsim.check("a cut is one-way", table.concat(pingers[2].state.got, " ") == "scenario:go p3:ping", table.concat(pingers[2].state.got, " "))
  dsim.uncut("p2", "p3")
  dsim.link("p1", { "p2", "p3" }, { loss = 1 })
  pingers[1]:inject{ type = "go", to = "p2" }
  dsim.pause("p3", "20ms")
  pingers[2]:inject{ type = "go", to = "p3" }
end)
dsim.at("70ms", function()
  dsim.check("a link policy drops", table.concat(pingers[2].state.got, " ") == "scenario:go p3:ping scenario:go",
             table.concat(pingers[2].state.got, " "))
  dsim.check("paused", pingers[3].status == "paused" and #pingers[3].state.got == 1)
  dsim.unlink("p1", { "p2", "p3" })
  dsim.partition({ "p1" })                             -- p1 against the rest
end)
dsim.at("90ms", function()
  dsim.check("resumed after the pause, held message delivered", pingers[3].status == "up" and
             pingers[3].state.got[2] == "p2:ping", table.concat(pingers[3].state.got, " "))
  pingers[1]:inject{ type = "go", to = "p2" }
end)
dsim.at("100ms", function()
  dsim.check("a one-group partition isolates it", table.concat(pingers[2].state.got, " ") ==
             "scenario:go p3:ping scenario:go p3:pong" and pingers[1].state.got[1] == "scenario:go",
             table.concat(pingers[2].state.got, " "))
  dsim.heal()
end)

-- ---- scheduling, invariants, workloads ----
local ticks = 0
local every = dsim.every("10ms", function() ticks = ticks + 1 end)
dsim.after("35ms", function() every:cancel() end)
dsim.invariant("at most 5 nodes up", function()
  local up = 0
  for _, n in ipairs(dsim.nodes()) do if n.status == "up" then up = up + 1 end end
  return up <= 5, up .. " up"
end)
dsim.invariant("clients never partitioned", function() return true end, { every = "25ms" })
local w = dsim.workload{ "echo", nodes = echoes, rate = "100/s", stop = "150ms", timeout = "20ms" }
dsim.final("the final hook runs", function() return ticks == 3, ticks .. " ticks" end)
dsim.run("200ms")

local h = dsim.history()
dsim.check("history", #h > 5 and h[1].f == "echo" and h[1].process == "c1" and h[1].outcome == "ok" and
           h[1].result.echo == h[1].args.echo, dsim.encode(h[1]))
dsim.check("workload counts", w.counts().ok == #h, dsim.encode(w.counts()))
local s = dsim.stats()
dsim.check("stats", s.sent > 0 and s.dropped > 0 and dsim.stats("pong").delivered >= 1, dsim.encode(s))
dsim.check("now", dsim.now() == 0.2 and dsim.seed() == 3)
