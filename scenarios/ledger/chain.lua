-- A proof-of-work chain (the system "blockchain") on 10 full nodes: each mines
-- at 1000 hashes/s (mode "exponential": block times drawn from the exponential
-- law of brute force), a block needs 100000 hashes on average, so the cluster
-- finds one every 10s; each node's wallet pays a random node every 5s on
-- average. Every node validates every block and transaction it adopts. After
-- ten simulated minutes all nodes hold the same chain and the same UTXO set,
-- and no coin was made but by coinbases.
local dsim = require "dsim"

dsim.network{ latency = dsim.exponential("100ms") }
local nodes = dsim.cluster{ system = "blockchain", count = 10, hash_rate = 1000, difficulty = 100000,
                            tx_interval = "5s", reward = 50, initial = 100 }
dsim.run("600s")

local first = nodes[1].state
local same, blocks, stale, total = true, 0, 0, 0
for _, n in ipairs(nodes) do
  local s = n.state
  same = same and s.tip == first.tip and s.utxo_digest == first.utxo_digest
  blocks = blocks + s.mined
end
for _, coins in pairs(first.balances) do total = total + coins end
print(string.format("mode %s: height %d after 600s (%.1fs a block), %d blocks mined, %d stale (%.1f%%)",
                    first.mode, first.height, 600 / first.height, blocks, first.stale,
                    100 * first.stale / blocks))
dsim.check("every node has the same tip and UTXO set", same, first.tip:sub(1, 16))
dsim.check("the chain grew about every 10s", first.height >= 40 and first.height <= 90, first.height .. " blocks")
dsim.check("coins = genesis + coinbases (no coin made otherwise)", total == 10 * 100 + 50 * first.height,
           total .. " coins at height " .. first.height)
dsim.check("payments were confirmed", first.utxos > 10 * 2, first.utxos .. " unspent outputs")
