-- Checksums: bit rot in two of the three replicas of a block. The client reads
-- the file four times; a replica whose bytes fail their checksum is reported to
-- the name node and the next replica read, so every read returns the right
-- bytes. The data nodes' block reports (every 10 s) check every replica too, so
-- both bad ones are found; the name node copies the block from the good one and
-- deletes the bad ones. Checks: every read is right; both corrupt replicas were
-- found; the block is back at 3 good replicas.
local dsim = require "dsim"
local H = require "dsim.hdfs"

local fs = H.cluster{ racks = 2, per_rack = 3, replication = 3, block_size = 2048, heartbeat = "1s",
                      dead_after = "5s", monitor = "1s", block_report = "10s" }
local text = string.rep("All work and no play makes Jack a dull boy.\n", 100)
dsim.at("1s", function() fs.write("/jack.txt", text); fs.meta("/jack.txt") end)
dsim.run("3s")
local blk = fs.done()[2].block_list[2]
dsim.assert("the file's second block has three replicas", #blk.locs == 3, dsim.encode(blk))
for i = 1, 2 do fs.node(blk.locs[i]):inject{ type = "corrupt_block", block = blk.id } end
dsim.at("4s", function() for _ = 1, 4 do fs.read("/jack.txt") end end)
dsim.run("30s")
fs.meta("/jack.txt")
dsim.run("1s")

local d = fs.done()
local right = 0
for i = 3, 6 do if d[i].ok and d[i].data == text then right = right + 1 end end
local st = fs.nn_state()
local after = d[7].block_list[2]
print(string.format("corrupt replicas found: %d; block %d now on %s", st.corrupt_found, blk.id,
                    table.concat(after.locs, ", ")))
dsim.check("every read returns the right bytes", right == 4, right .. " of 4")
dsim.check("both corrupt replicas were found", st.corrupt_found == 2, st.corrupt_found)
dsim.check("the block is back at 3 good replicas", #after.locs == 3 and st.below_target == 0, dsim.encode(after))
