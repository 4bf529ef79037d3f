-- Nodes that lie (the decentralised case: no one vouches for the peers). Four
-- honest full nodes share a chain with five miners that each break one rule in
-- every block they mine: a coinbase paying ten times the reward, a transaction
-- spending another node's coins under a forged signature, the same coins
-- signed away twice in one block, a wrong Merkle root, and a nonce that was
-- never searched (mode "real": nonces are searched for real, at a difficulty of
-- 2000 hashes, so the proof of work is checked). The scenario also sends the
-- honest nodes bytes that are not a transaction and a payment of a negative
-- amount. Honest nodes reject every lie and count it under its reason; their
-- chain holds no liar's block and they all agree.
local dsim = require "dsim"

dsim.network{ latency = dsim.exponential("20ms") }
local chain = { system = "blockchain", group = "chain", mode = "real", difficulty = 2000, retarget = 0,
                block_interval = "10s" }
local function with(t) for k, v in pairs(chain) do t[k] = v end return t end
local honest = dsim.cluster(with{ name = "n", count = 4, hash_rate = 100 })
local lies = { "reward", "signature", "double_spend_block", "merkle", "pow" }
for _, lie in ipairs(lies) do dsim.cluster(with{ name = lie, hash_rate = 100, attack = lie }) end

dsim.at("5s", function()
  honest[1]:inject{ type = "tx", tx = "not hex" }
  honest[1]:inject{ type = "tx", tx = "0102" }
  honest[1]:inject{ type = "pay", to = "n2", amount = -5 }
end)
dsim.run("300s")

local s = honest[1].state
local reasons = {}
for reason in pairs(s.rejected) do reasons[#reasons + 1] = reason end
table.sort(reasons)
print(string.format("honest n1: mode %s, height %d, %d hashes searched", s.mode, s.height, s.hashes))
for _, reason in ipairs(reasons) do print(string.format("  rejected %3d x %s", s.rejected[reason], reason)) end
local function rejected(reason) return (s.rejected[reason] or 0) > 0 end
for _, want in ipairs{ "coinbase pays too much", "bad signature", "input missing or already spent",
                       "bad merkle root", "proof of work too weak", "malformed transaction (not hex)",
                       "malformed transaction (truncated)", "amount not positive" } do
  dsim.check("rejected: " .. want, rejected(want), tostring(s.rejected[want]))
end
local liar_blocks = 0
for name, count in pairs(s.miners) do if not name:match("^n%d$") then liar_blocks = liar_blocks + count end end
dsim.check("no liar's block is on the honest chain", liar_blocks == 0, liar_blocks .. " blocks")
dsim.check("the honest nodes' chain grew", s.height > 10, s.height .. " blocks")
