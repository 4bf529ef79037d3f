-- Write a file into HDFS and read it back: 9 data nodes on 3 racks, replication
-- 3, blocks of 1 KiB, so a 5,000-byte text is 5 blocks. Each block is written
-- down a pipeline of 3 data nodes chosen by the name node (the second and third
-- off the first's rack) and acknowledged when all three have it on disk. Checks:
-- the bytes read back are the bytes written; each block has 3 replicas on 2
-- racks; the listing shows the file and its length; a delete removes it.
local dsim = require "dsim"
local H = require "dsim.hdfs"

local fs = H.cluster{ racks = 3, per_rack = 3, replication = 3, block_size = 1024 }
local lines = {}
for i = 1, 100 do lines[i] = string.format("line %03d of a small text written into HDFS.\n", i) end
local text = table.concat(lines)
dsim.at("1s", function()
  fs.write("/docs/small.txt", text)
  fs.meta("/docs/small.txt")
  fs.read("/docs/small.txt")
  fs.list("/docs")
  fs.write("/docs/sub/empty.txt", "")
  fs.list("/docs")
  fs.delete("/docs/small.txt")
  fs.read("/docs/small.txt")
end)
dsim.run("10s")

local d = fs.done()
dsim.assert("eight operations ran", #d == 8, #d)
local w, meta, r = d[1], d[2], d[3]
print(string.format("write: %d bytes in %d blocks, %.1f ms; read: %.1f ms", w.len, w.blocks, w.latency_ms, r.latency_ms))
dsim.check("the write was acknowledged", w.ok and w.len == #text and w.blocks == 5, dsim.encode(w))
dsim.check("the read returns the bytes written", r.ok and r.data == text, r.error or #r.data)
local spread = 0
for _, b in ipairs(meta.block_list) do
  local racks = {}
  for _, n in ipairs(b.locs) do racks[fs.rack_of[n]] = true end
  local nr = 0
  for _ in pairs(racks) do nr = nr + 1 end
  if #b.locs == 3 and nr == 2 then spread = spread + 1 end
end
dsim.check("every block has 3 replicas on exactly 2 racks", spread == 5, spread .. " of 5")
local l = d[4].entries
dsim.check("the listing shows the file", #l == 1 and l[1].name == "small.txt" and l[1].len == #text, dsim.encode(l))
local l2 = d[6].entries
dsim.check("a subdirectory is listed once, in name order", #l2 == 2 and l2[1].name == "small.txt" and l2[2].dir,
           dsim.encode(l2))
dsim.check("a deleted file is gone", d[7].ok and not d[8].ok and d[8].error:find("no such file"), d[8].error)
