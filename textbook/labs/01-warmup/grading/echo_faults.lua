-- Lab 1 grading test: echo over a network that loses 5%, duplicates 10% and
-- reorders; a duplicate request must not confuse the server, and every
-- answered echo must be intact (the workload's own check).
local dsim = require "dsim"
local echo = dsim.submission("echo")

dsim.network{ latency = dsim.exponential("4ms"), loss = "5%", duplicate = "10%" }
local servers = dsim.cluster{ program = echo, count = 3 }
local w = dsim.workload{ "echo", nodes = servers, rate = "200/s", concurrency = 4, timeout = "100ms", stop = "2s" }
dsim.run("2.5s")
local c = w.counts()
dsim.check("most echoes answered", c.ok >= 150, c.ok .. " ok, " .. c.unknown .. " unanswered")
