-- Lightweight transactions (Cassandra's LWT): dynamo-kv on 5 nodes by
-- consistent hashing (16 vnodes each), n = 3, strict QUORUM, lwt = 1: a cas
-- (and a write) is one round of Paxos among the key's three replicas (prepare,
-- promise with the newest version, accept on a majority, committing a version
-- newer than any the replicas held), a read a QUORUM read. Under a nemesis that
-- pauses nodes and partitions the cluster, the whole history, cas included,
-- is linearizable.
local dsim = require "dsim"

dsim.network{ latency = dsim.exponential("2ms") }
local ring = dsim.cluster{ system = "dynamo-kv", name = "l", count = 5, n = 3, vnodes = 16,
                           strict = 1, lwt = 1, consistency = "QUORUM", request_timeout = "50ms" }
local w = dsim.workload{ "lin-kv", nodes = ring, clients = "c", start = "0s", stop = "4s", rate = "150/s",
                         concurrency = 4, keys = 3, timeout = "400ms", check = false }
dsim.nemesis{ partition = 1, pause = 1, every = "300ms", start = "0.2s", stop = "4s", targets = ring }

dsim.run("5s")
local cas = { ok = 0, fail = 0, unknown = 0 }
for _, op in ipairs(dsim.history()) do
  if op.f == "cas" and cas[op.outcome] then cas[op.outcome] = cas[op.outcome] + 1 end
end
local c = w.counts()
print(string.format("%-6s %5s %5s %8s", "ops", "ok", "fail", "unknown"))
print(string.format("%-6s %5d %5d %8d", "all", c.ok, c.fail, c.unknown))
print(string.format("%-6s %5d %5d %8d", "cas", cas.ok, cas.fail, cas.unknown))
local _, lin = dsim.linearizable{ model = "register", name = "QUORUM reads + Paxos cas/write (lwt = 1) are linearizable" }
print("linearizable: " .. lin)
dsim.check("some cas succeeded", cas.ok > 0, cas.ok .. " cas ok")
