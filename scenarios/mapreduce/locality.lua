-- Data locality. Two identical clusters side by side (word count over 64 KiB in
-- 2 KiB blocks, replication 2, 8 workers on 4 racks), one scheduling maps where
-- their blocks are (node-local, then rack-local, then anywhere), one handing out
-- the next task to whoever asks. Links carry 10 MB/s, so a remote read costs
-- time as well as network bytes. Checks: locality-aware scheduling runs most
-- maps node-local and reads fewer bytes over the network; both outputs agree.
local dsim = require "dsim"
local M = require "dsim.mapreduce"
local L = require "wc_lib"

dsim.network{ bandwidth = "10MB/s" }
local text = L.text(64 * 1024)
local function cluster(prefix, locality)
  local mr = M.cluster{ prefix = prefix, workers = 8, racks = 4, replication = 2, block_size = 2048, reducers = 2,
                        map = L.map, reduce = L.sum, combine = L.sum, locality = locality, backups = false }
  mr.put("/in/text", text)
  dsim.at("3s", function() mr.submit({ "/in/text" }, "/out") end)
  return mr
end
local on, off = cluster("on-", true), cluster("off-", false)
dsim.run("60s")
on.fetch(); off.fetch()
dsim.run("2s")
local function remote_bytes(mr)
  local n = 0
  for _, w in ipairs(mr.workers) do n = n + w.state.remote_bytes end
  return n
end
local a, b = on.job(), off.job()
local ra, rb = remote_bytes(on), remote_bytes(off)
for _, r in ipairs{ { "locality-aware", a, ra }, { "first come", b, rb } } do
  local j = r[2]
  print(string.format("%-15s %2d maps: %5.1f%% node-local, %2d rack-local, %2d remote; %6d bytes read over the network",
                      r[1], j.maps, 100 * j.node_local / j.map_attempts, j.rack_local, j.remote, r[3]))
end
print(string.format("network bytes saved by locality: %d of %d", rb - ra, rb))
dsim.check("both jobs finished", a.phase == "done" and b.phase == "done", a.phase .. " " .. b.phase)
dsim.check("locality-aware scheduling runs most maps node-local, more than first come",
           a.node_local * 2 > a.map_attempts and a.node_local > b.node_local, a.node_local .. " vs " .. b.node_local)
dsim.check("and reads fewer bytes over the network", ra < rb, ra .. " vs " .. rb)
dsim.check("the outputs agree", L.differences(on.result() or {}, off.result() or { x = 1 }) == 0, "differ")
