-- Lab 2 grading test: five nodes, 5% loss, and a nemesis that partitions and
-- pauses nodes until 3s; every acknowledged value must reach every node by the
-- final read at 6s.
local dsim = require "dsim"
local bc = dsim.submission("broadcast")

dsim.network{ latency = dsim.uniform("1ms", "20ms"), loss = "5%" }
local servers = dsim.cluster{ program = bc, count = 5 }
local w = dsim.workload{ "broadcast", nodes = servers, rate = "50/s", concurrency = 2, timeout = "200ms",
                         stop = "3s", final = "6s" }
local n = dsim.nemesis{ partition = 2, pause = 1, every = "400ms", stop = "3s" }
dsim.run("8s")
dsim.check("the nemesis injected faults", n.faults > 0, n.faults .. " faults")
