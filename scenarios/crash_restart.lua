-- Crash and restart with a disk: volatile state (the self table) is lost at a
-- crash; self.disk survives only as it was at the last self:sync(), like a file
-- after fsync. A node appends one entry every 10ms and syncs every third one;
-- it crashes at 85ms (8 entries written, 6 synced) and restarts at 150ms.
-- Entries 7 and 8 are gone, 1..6 are back, and the node carries on from there.
local dsim = require "dsim"

local appender = {}
function appender.start(self, disk)
  disk.log = disk.log or {}
  self.boots = (disk.boots or 0) + 1                  -- volatile: counts boots of this run only
  disk.boots = self.boots
  self.recovered = #disk.log
  self:set_timer("append", "10ms")
end
function appender.timer(self, name)
  local log = self.disk.log
  log[#log + 1] = "entry " .. (#log + 1)
  if #log % 3 == 0 then self:sync() end
  self:set_timer("append", "10ms")
end

local node = dsim.cluster{ program = appender, name = "log" }[1]
dsim.at("85ms", function()
  dsim.check("eight entries written before the crash", #node.state.disk.log == 8, #node.state.disk.log)
  node:crash()
  dsim.check("after the crash the disk holds what was synced", #node.disk.log == 6, dsim.encode(node.disk))
end)
dsim.at("55ms", function()                             -- entries 1..5 written, 1..3 synced
  dsim.check("before a sync only the synced prefix is durable", #node.disk.log == 3, dsim.encode(node.disk.log))
end)
dsim.at("150ms", function() node:restart() end)
dsim.run("175ms")

local st = node.state
dsim.assert("restart recovered the synced entries", st.recovered == 6, st.recovered)
dsim.assert("the boot count survived through the disk", st.boots == 2, st.boots)
dsim.assert("the log continues after recovery", #st.disk.log == 8 and st.disk.log[7] == "entry 7",
            dsim.encode(st.disk.log))
