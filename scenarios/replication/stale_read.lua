-- Stale reads from asynchronous replicas, and none from synchronous ones.
--
-- Two primary-replica stores of three nodes side by side: `a` replicates
-- asynchronously, `s` synchronously. The link from each primary to its replicas
-- is slow (50 ms), the rest fast (1 ms), and lin-kv clients send every request
-- to a random node. A write is forwarded to the primary; a read is answered by
-- whichever node is asked, from its own copy. So under async a client can write
-- a key, be told write_ok, read the key from a replica the write has not reached
-- yet, and get the old value: the session checker names that read. Under sync,
-- write_ok waits until every replica applied the write, so a client always
-- reads its own writes (but two reads may still go backwards: see the print).
local dsim = require "dsim"
local session = require "dsim.session"

dsim.network{ latency = dsim.uniform("1ms", "2ms") }
local a = dsim.cluster{ system = "primary-replica", count = 3, name = "a", mode = "async" }
local s = dsim.cluster{ system = "primary-replica", count = 3, name = "s", mode = "sync" }
for _, c in ipairs{ a, s } do
  dsim.link(c[1], c[2], { latency = "50ms" })
  dsim.link(c[1], c[3], { latency = "50ms" })
end
local wa = dsim.workload{ "lin-kv", nodes = a, rate = "200/s", concurrency = 2, keys = 2,
                          timeout = "500ms", stop = "3s", clients = "ca", check = false }
local ws = dsim.workload{ "lin-kv", nodes = s, rate = "200/s", concurrency = 2, keys = 2,
                          timeout = "500ms", stop = "3s", clients = "cs", check = false }
dsim.run("3.5s")

local ha = session.of_clients(dsim.history(), wa.clients)
local hs = session.of_clients(dsim.history(), ws.clients)
local ryw_ok, ryw_msg = session.read_your_writes(ha)
local mono_ok, mono_msg = session.monotonic_reads(ha)
print("async " .. ryw_msg)
print("async " .. mono_msg)
dsim.check("async: the checker names a stale read", not ryw_ok, ryw_msg)
local sync_ok, sync_msg = session.read_your_writes(hs)
dsim.check("sync: no read is stale (read-your-writes holds)", sync_ok, sync_msg)
-- Monotonic reads is NOT promised by sync: while a write is being applied, one
-- replica may have it and the next one asked not yet. Print what happened.
print("sync " .. select(2, session.monotonic_reads(hs)))
dsim.check("both stores served traffic", wa.counts().ok > 50 and ws.counts().ok > 30,
           wa.counts().ok .. " and " .. ws.counts().ok .. " ok")
