-- The 51% attack: the double spend of double_spend.lua with an attacker who
-- has more hash power than everyone else together (q = 0.6) and never gives
-- up. However many confirmations the merchant waits for (here z = 6), the
-- private branch grows faster than the public one, so it overtakes it sooner
-- or later: in every one of 20 trials the merchant ships, then the payment
-- vanishes from its chain. Confirmations protect against a minority only.
local dsim = require "dsim"

local q, z, trials = 0.6, 6, 20
dsim.network{ latency = "1ms" }
local runs = {}
for i = 1, trials do
  local g = "t" .. i
  local m = dsim.cluster{ system = "blockchain", name = g .. "m", group = g, mining = 0, confirmations = z,
                          difficulty = 10000, retarget = 0 }
  dsim.cluster{ system = "blockchain", name = g .. "h", group = g, hash_rate = 1000 * (1 - q),
                difficulty = 10000, retarget = 0 }
  local a = dsim.cluster{ system = "blockchain", name = g .. "a", group = g, hash_rate = 1000 * q,
                          difficulty = 10000, retarget = 0, attack = "double_spend", merchant = m[1].name,
                          amount = 60, attack_at = "1ms", confirmations = z, give_up = 100000 }
  runs[i] = { merchant = m[1], attacker = a[1] }
end
dsim.run("1500s")

local won, shipped = 0, 0
for _, r in ipairs(runs) do
  if r.merchant.state.shipped > 0 then shipped = shipped + 1 end
  if r.merchant.state.reversed > 0 and r.attacker.state.attack == "published" then won = won + 1 end
end
print(string.format("q = %.1f, z = %d: the merchant shipped in %d of %d trials, the payment was reversed in %d",
                    q, z, shipped, trials, won))
dsim.check("every merchant shipped after " .. z .. " confirmations", shipped == trials, shipped .. " of " .. trials)
dsim.check("the majority attacker reversed every payment", won == trials, won .. " of " .. trials)
