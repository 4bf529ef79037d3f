-- Resharding a live store, losing nothing. Five shard-kv nodes, hash modulo N
-- (the scheme that moves the most), start with 4 shards; at 1s they reshard to
-- 5 (n5 joins), at 2.5s to 3 (n4 and n5 hand everything back). Meanwhile a
-- lin-kv workload reads, writes and cas-es 10 hot keys through random nodes,
-- and a loader writes 3,000 new keys through a client-side router whose map
-- says 4 shards and never learns better (the nodes forward its misrouted
-- requests). A request for a key still in transit waits at its new owner
-- until the old owner's migrate arrives. Afterwards every acknowledged write
-- is read back, and the whole workload history is checked for linearizability.
local dsim = require "dsim"
local S = require "dsim.sharding"

dsim.network{ latency = dsim.exponential("1ms"), bandwidth = "1MB/s" }   -- migrates take a while
local servers = dsim.cluster{ system = "shard-kv", count = 5, shards = 4, scheme = "modulo" }
local w = dsim.workload{ "lin-kv", nodes = servers, rate = "400/s", concurrency = 4, keys = 10,
                         timeout = "200ms", stop = "3.5s" }
local loader = S.client{ servers = servers, route = S.layout("modulo", 4), concurrency = 2, name = "loader" }
local writes = {}
for i = 1, 3000 do
  local k = "key" .. i
  writes[i] = loader.push{ key = k, msg = { type = "write", key = k, value = i * 7 } }
end
dsim.at("1ms", loader.kick)
local function reshard(n) return function() for _, s in ipairs(servers) do s:inject{ type = "reshard", shards = n } end end end
dsim.at("1s", reshard(5))
-- Right after the first reshard, a client that knows the new map reads 20 early
-- keys at their new owners: most have not arrived yet, so those reads wait for
-- the migrate (the loader's forwarded requests may or may not meet one in transit).
local probe = S.client{ servers = servers, route = S.layout("modulo", 5), concurrency = 20, name = "probe" }
for i = 1, 20 do probe.push{ key = "key" .. i, msg = { type = "read", key = "key" .. i } } end
dsim.at("1001ms", probe.kick)
dsim.at("2.5s", reshard(3))
dsim.run("5s")

-- Read back every acknowledged write, through the stale router again.
local acked, reads = 0, {}
for i, op in ipairs(writes) do
  if op.reply and op.reply.type == "write_ok" then
    acked = acked + 1
    reads[#reads + 1] = loader.push{ key = op.key, msg = { type = "read", key = op.key }, want = i * 7 }
  end
end
loader.concurrency = 8
loader.kick()
dsim.run("3s")
local stats = loader.ask_stats(servers)
dsim.run("1s")

local lost, first = 0, nil
for _, op in ipairs(reads) do
  if not (op.reply and op.reply.type == "read_ok" and op.reply.value == op.want) then
    lost = lost + 1
    first = first or (op.key .. " read " .. dsim.encode(op.reply and (op.reply.value or op.reply.code)))
  end
end
local moved, got = S.sum(stats, "moved_keys"), S.sum(stats, "received_keys")
print(string.format("acknowledged writes: %d of %d; read back intact: %d", acked, #writes, #reads - lost))
print(string.format("keys moved: %d (%d bytes); requests forwarded: %d; requests that waited for a migration: %d",
                    moved, S.sum(stats, "moved_bytes"), S.sum(stats, "forwarded"), S.sum(stats, "queued")))
print("keys per node after: " .. table.concat(S.column(stats, "keys"), " "))
dsim.check("every write of the loader was acknowledged", acked == #writes, acked .. " of " .. #writes)
dsim.check("every acknowledged write reads back intact", lost == 0, lost .. " lost" .. (first and (", first: " .. first) or ""))
dsim.check("both reshards moved keys, and every key sent arrived", moved > 1000 and moved == got,
           moved .. " sent, " .. got .. " received")
dsim.check("n4 and n5 hold nothing after shrinking to 3", S.column(stats, "keys")[4] == 0 and S.column(stats, "keys")[5] == 0,
           table.concat(S.column(stats, "keys"), " "))
dsim.check("some requests waited for a key in transit", S.sum(stats, "queued") > 0, S.sum(stats, "queued") .. " waited")
dsim.linearizable{ model = "kv", name = "the lin-kv history is linearizable across both reshards" }
