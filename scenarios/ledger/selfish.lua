-- Selfish mining (Eyal and Sirer, "Majority is not enough", 2014). A miner with
-- 40% of the hash power withholds the blocks it finds and publishes them only
-- to override the honest miners' blocks (algorithm 1, drawn in bc_attack.c).
-- It wastes the honest miners' work more than its own, so its share of the
-- blocks on the final chain exceeds its share of the hash power. Measured over
-- about 2000 blocks, beside the paper's formula with gamma = 0 (the honest
-- miners hear the honest block of a tie first: links of 1ms, the selfish
-- miner's answer starts after it).
local dsim = require "dsim"

local alpha = 0.4
dsim.network{ latency = "1ms" }
local common = { system = "blockchain", group = "g", difficulty = 10000, retarget = 0 }
local function with(t) for k, v in pairs(common) do t[k] = v end return t end
local honest = dsim.cluster(with{ name = "h", count = 3, hash_rate = 1000 * (1 - alpha) / 3 })
local selfish = dsim.cluster(with{ name = "s", hash_rate = 1000 * alpha, attack = "selfish" })
dsim.run("20000s")

local s = honest[1].state
local mine = s.miners[selfish[1].name]
local share = mine / s.height
local g = 0
local paper = (alpha * (1 - alpha) ^ 2 * (4 * alpha + g * (1 - 2 * alpha)) - alpha ^ 3)
              / (1 - alpha * (1 + (2 - alpha) * alpha))
print(string.format("hash share %.2f; blocks on the chain %d, the selfish miner's %d: revenue share %.3f (paper %.3f)",
                    alpha, s.height, mine, share, paper))
print(string.format("stale blocks: %d (the honest work the withholding wasted)", s.stale))
dsim.check("the selfish miner earns more than its hash share", share > alpha + 0.03, string.format("%.3f", share))
dsim.check("its revenue share is near the paper's", math.abs(share - paper) < 0.05,
           string.format("%.3f vs %.3f", share, paper))
