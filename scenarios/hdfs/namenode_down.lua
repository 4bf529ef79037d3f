-- The name node is a single point of failure, and its edit log is what makes a
-- restart safe. A client writes ten files, one every 100 ms from 1 s; the name
-- node crashes at 1.45 s, in the middle of them, and restarts at 8 s. While it
-- is down every operation fails: there is no standby (reads too, since only the
-- name node knows where the blocks are). After the restart it replays its edit
-- log (synced before every acknowledgement), waits in safe mode for the block
-- reports, and then knows every file whose write was acknowledged. Checks: the
-- outage is visible; every acknowledged file lists and reads back byte for byte.
local dsim = require "dsim"
local H = require "dsim.hdfs"

local fs = H.cluster{ racks = 2, per_rack = 2, replication = 2, block_size = 512, heartbeat = "1s",
                      dead_after = "5s", timeout = "500ms" }
local body = {}
for i = 1, 10 do
  body[i] = string.rep(string.format("file %d, line of text. ", i), 40)
  dsim.at(string.format("%dms", 1000 + 100 * i), function() fs.write("/f/" .. i, body[i]) end)
end
dsim.at("1450ms", function() fs.namenode:crash() end)
dsim.at("3s", function() fs.list("/f") end)
dsim.at("8s", function() fs.namenode:restart() end)
dsim.run("7s")
local down = fs.done()
local outage = down[#down]
dsim.check("while the name node is down, a listing fails", outage.op == "list" and not outage.ok, dsim.encode(outage))
print("while down: " .. outage.error)
dsim.run("5s")
local acked = {}
for _, r in ipairs(down) do
  if r.op == "write" and r.ok then acked[#acked + 1] = tonumber(r.path:match("%d+")) end
end
fs.list("/f")
for _, i in ipairs(acked) do fs.read("/f/" .. i) end
dsim.run("3s")
local d = fs.done()
local listed = {}
for _, e in ipairs(d[#down + 1].entries) do listed[tonumber(e.name)] = e.len end
local good = 0
for k, i in ipairs(acked) do
  local r = d[#down + 1 + k]
  if listed[i] == #body[i] and r.ok and r.data == body[i] then good = good + 1 end
end
print(string.format("%d writes acknowledged before the crash; after the restart %d of them list and read back",
                    #acked, good))
dsim.check("some writes were acknowledged and some failed", #acked >= 2 and #acked < 10, #acked)
dsim.check("after the restart every acknowledged file is there, byte for byte", good == #acked, good)
dsim.check("the restarted name node left safe mode", not fs.nn_state().safemode, dsim.encode(fs.nn_state()))
