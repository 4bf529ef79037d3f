-- Forks and the most-work rule. Blocks every 2s on average while a block takes
-- about 0.5s to cross the network (exponential latency, mean 500ms): two miners
-- often find blocks on the same parent before hearing of each other's, the
-- chain forks, and each node follows the branch with the most work, switching
-- (reorganising) when the other branch grows longer. The losing blocks are
-- stale. Measured: the stale rate, beside the rough bound 1 - exp(-delay/interval)
-- (the chance another block is found while one propagates; the measured rate is
-- lower, since most nodes hear of a block well before the mean delay and the
-- race's loser is only one of two). At the end all nodes agree on every block
-- 4 deep.
local dsim = require "dsim"

dsim.network{ latency = dsim.exponential("500ms") }
local nodes = dsim.cluster{ system = "blockchain", count = 8, hash_rate = 1000, difficulty = 16000,
                            retarget = 0 }
dsim.run("1200s")

local mined, reorgs, deepest = 0, 0, 0
for _, n in ipairs(nodes) do
  local s = n.state
  mined, reorgs = mined + s.mined, reorgs + s.reorgs
  if s.max_reorg_depth > deepest then deepest = s.max_reorg_depth end
end
-- every node's block at height (lowest tip - 4) must be the same block
local low = math.huge
for _, n in ipairs(nodes) do low = math.min(low, n.state.height) end
local h, agree = low - 4, true
local function at(s, height) return s.recent[#s.recent - (s.height - height)] end
for _, n in ipairs(nodes) do agree = agree and at(n.state, h) == at(nodes[1].state, h) end

local s = nodes[1].state
local rate = s.stale / mined
print(string.format("%d blocks mined, %d on the chain, %d stale: stale rate %.1f%% (bound 1 - exp(-0.5/2) = %.1f%%)",
                    mined, s.height, s.stale, 100 * rate, 100 * (1 - math.exp(-0.5 / 2))))
print(string.format("reorganisations: %d at all nodes, the deepest %d blocks", reorgs, deepest))
dsim.check("forks happened and were resolved by reorganisation", reorgs > 0 and s.stale > 0,
           reorgs .. " reorgs, " .. s.stale .. " stale")
dsim.check("every block was either on the chain or stale", s.height + s.stale == mined, mined .. " mined")
dsim.check("all nodes agree on the block 4 below the lowest tip", agree, "height " .. h)
dsim.check("the stale rate is measurable and below the bound", rate > 0.02 and rate < 1 - math.exp(-0.5 / 2), string.format("%.3f", rate))
