-- Answer to exercise 8.2 (textbook/08-sharding.md).
-- The cost of resharding: 4 shards grow to 5, under each scheme, with 2,000
-- keys stored. Every key whose owner changes is sent to its new shard. Under
-- hash modulo N almost every owner changes (about (N-1)/N = 4/5 of the keys
-- move), under consistent hashing only the new server's share moves (about
-- 1/N = 1/5), and under ranges of initials the boundaries shift (A-F, G-M ...
-- become A-E, F-J ...), moving about half. Prints keys and bytes moved.
local dsim = require "dsim"
local S = require "dsim.sharding"

local KEYS, FROM, TO = 2000, 4, 8
local LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
dsim.network{ latency = dsim.exponential("1ms") }
local runs = {}
for _, scheme in ipairs{ "range", "modulo", "ring" } do
  local servers = dsim.cluster{ system = "shard-kv", count = TO, shards = FROM, scheme = scheme, vnodes = 128,
                                name = scheme:sub(1, 2) }
  local c = S.client{ servers = servers, concurrency = 8, name = "c" .. scheme:sub(1, 2) }
  for i = 1, KEYS do
    local k = LETTERS:sub(i % 26 + 1, i % 26 + 1) .. i
    c.push{ key = k, msg = { type = "write", key = k, value = "v" .. i } }
  end
  dsim.at("1ms", c.kick)
  dsim.at("3s", function() for _, s in ipairs(servers) do s:inject{ type = "reshard", shards = TO } end end)
  runs[#runs + 1] = { scheme = scheme, servers = servers, c = c }
end
dsim.run("4s")
for _, r in ipairs(runs) do r.stats = r.c.ask_stats(r.servers) end
dsim.run("1s")

local frac = {}
print(string.format("%-7s %11s %11s %9s  %s", "scheme", "keys moved", "bytes moved", "fraction", "keys per shard after"))
for _, r in ipairs(runs) do
  local moved, got = S.sum(r.stats, "moved_keys"), S.sum(r.stats, "received_keys")
  frac[r.scheme] = moved / KEYS
  print(string.format("%-7s %11d %11d %9.3f  %s", r.scheme, moved, S.sum(r.stats, "moved_bytes"), moved / KEYS,
                      table.concat(S.column(r.stats, "keys"), " ")))
  dsim.check(r.scheme .. ": every key sent was received, none lost or doubled",
             moved == got and S.sum(r.stats, "keys") == KEYS,
             moved .. " sent, " .. got .. " received, " .. S.sum(r.stats, "keys") .. " stored")
end
-- The answer: doubling moves about half the keys under modulo, not (N-1)/N = 7/8.
-- A key's shard is h mod 8 instead of h mod 4: the two agree exactly when bit 2
-- of h is 0, so half the keys stay, and every key that moves goes from shard i
-- to the new shard i + 4 (no key moves between two old shards). The ring also
-- moves about half: the four new servers take their share, 4/8.
dsim.check("doubling: modulo moves about half the keys (0.45-0.55), not 7/8",
           frac.modulo > 0.45 and frac.modulo < 0.55, string.format("%.3f", frac.modulo))
dsim.check("doubling: the ring moves the new servers' share, about 4/8 (0.35-0.65)",
           frac.ring > 0.35 and frac.ring < 0.65, string.format("%.3f", frac.ring))
