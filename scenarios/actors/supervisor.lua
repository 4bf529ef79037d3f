-- Supervision: a one_for_one supervisor restarts the child that crashed and
-- leaves its sibling alone; crashes faster than its restart intensity make it
-- give up and exit "shutdown", which its parent sees. A monitor on a process of
-- another node fires with "noconnection" when that node crashes: to a process,
-- a dead machine and a dead process look the same.
local dsim = require "dsim"
local actors = require "dsim.actors"
local otp = require "dsim.otp"

actors.define("counter", function(name)
  actors.register(name)
  local n = 0
  while true do
    actors.receive{
      inc = function() n = n + 1 end,
      boom = function() error("boom after " .. n .. " increments") end,
    }
  end
end)

actors.define("idle", function() actors.receive{ never = function() end } end)

actors.define("main", function(node)
  if node ~= "n1" then return end
  actors.trap_exit(true)
  local remote = actors.spawn_on("n2", "idle")         -- watched below; n2 crashes at 1s
  otp.supervisor.start{ name = "sup", strategy = "one_for_one", intensity = 3, period = "1s",
                        children = { { id = "c1", start = { "counter", "c1" } },
                                     { id = "c2", start = { "counter", "c2" } } } }
  actors.sleep("10ms")
  local c1, c2 = actors.whereis("c1"), actors.whereis("c2")
  actors.send("c1", { type = "boom" })
  actors.sleep("10ms")
  actors.publish("one_for_one", { c1_restarted = actors.whereis("c1") ~= nil and actors.whereis("c1") ~= c1,
                                  c2_same = actors.whereis("c2") == c2 })
  -- Four crashes within a second: more than the intensity of 3.
  for _ = 1, 4 do
    actors.sleep("20ms")
    if actors.whereis("c1") then actors.send("c1", { type = "boom" }) end
  end
  local reason = actors.receive{ EXIT = function(m) return m.reason end, after = "1s" }
  actors.publish("supervisor_exit", reason or "none")
  -- A monitor on the process of n2; the scenario crashes n2 at 1s.
  local ref = actors.monitor(remote)
  local down = actors.receive{ DOWN = function(m) if m.ref == ref then return m.reason end end, after = "3s" }
  actors.publish("remote_down", { reason = down or "none", at = actors.now() })
end)

dsim.network{ latency = dsim.uniform("1ms", "5ms") }
local nodes = dsim.cluster{ program = actors.program{ boot = "main" }, count = 2 }
dsim.at("1s", function() nodes[2]:crash() end)
dsim.run("3s")
local pub = nodes[1].state.published
dsim.check("one_for_one restarts the crashed child only", pub.one_for_one and pub.one_for_one.c1_restarted
  and pub.one_for_one.c2_same, dsim.encode(pub.one_for_one))
dsim.check("past its intensity the supervisor shuts down", pub.supervisor_exit == "shutdown",
  tostring(pub.supervisor_exit))
dsim.check("a crashed node is noconnection to its monitors", pub.remote_down and pub.remote_down.reason == "noconnection",
  dsim.encode(pub.remote_down))
dsim.check("detected within a second", pub.remote_down and pub.remote_down.at < 2.0, dsim.encode(pub.remote_down))
