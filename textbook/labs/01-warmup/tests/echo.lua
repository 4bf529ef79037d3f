-- Lab 1 public test: three echo servers (your echo.lua), a client sending 100
-- echoes a second; every answered echo must carry back what was sent.
--   ./dsim run tests/echo.lua --submission .      (from your lab folder)
local dsim = require "dsim"
local echo = dsim.submission("echo")

dsim.network{ latency = dsim.normal("5ms", "2ms") }
local servers = dsim.cluster{ program = echo, count = 3 }
local w = dsim.workload{ "echo", nodes = servers, rate = "100/s", concurrency = 2, timeout = "100ms", stop = "2s" }
dsim.run("2.5s")
local c = w.counts()
dsim.check("every echo answered", c.ok > 0 and c.unknown == 0 and c.fail == 0,
  c.ok .. " ok, " .. c.unknown .. " unanswered, " .. c.fail .. " failed")
