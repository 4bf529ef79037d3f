-- The double spend of the Bitcoin paper, section 11. An attacker with a share q
-- of the hash power pays a merchant, and at once mines in secret a branch in
-- which the same coins go back to itself. The merchant ships when the payment
-- is z blocks deep; the attacker publishes its branch if it ever has more work
-- than the public chain after that (giving up 30 blocks behind). Each trial is
-- its own little network (an honest miner with share 1 - q, the attacker, the
-- merchant, who does not mine; both know z); 80 trials for each z, all in this one run, each
-- with its own seeded streams. Measured: the attacker's success rate, beside
-- Nakamoto's formula and beside the exact rate for this protocol (the paper
-- counts a tie as catching up and approximates the attacker's progress by a
-- Poisson law; here the attacker needs strictly more work, and its progress
-- while the merchant waits is negative binomial).
local dsim = require "dsim"

local q, trials, zs = 0.3, 80, { 1, 2, 4 }
dsim.network{ latency = "1ms" }
local common = { system = "blockchain", difficulty = 10000, retarget = 0 }
local function with(t) for k, v in pairs(common) do t[k] = v end return t end

local runs = {}
for _, z in ipairs(zs) do
  runs[z] = {}
  for i = 1, trials do
    local g = "z" .. z .. "t" .. i
    local m = dsim.cluster(with{ name = g .. "m", group = g, mining = 0, confirmations = z })
    dsim.cluster(with{ name = g .. "h", group = g, hash_rate = 1000 * (1 - q) })
    local a = dsim.cluster(with{ name = g .. "a", group = g, hash_rate = 1000 * q, attack = "double_spend",
                                 merchant = m[1].name, amount = 60, attack_at = "1ms",
                                 confirmations = z })
    runs[z][i] = { merchant = m[1], attacker = a[1] }
  end
end
dsim.run("1500s")

local function nakamoto(z)      -- the paper's C program, in Lua
  local p, sum = 1 - q, 1
  local lambda = z * q / p
  for k = 0, z do
    local poisson = math.exp(-lambda)
    for i = 1, k do poisson = poisson * lambda / i end
    sum = sum - poisson * (1 - (q / p) ^ (z - k))
  end
  return sum
end
local function exact(z)         -- m attacker blocks while the honest miner finds z; then win from z - m behind
  local p, sum, binom = 1 - q, 0, 1
  for m = 0, 400 do
    if m > 0 then binom = binom * (m + z - 1) / m end
    local nb = binom * p ^ z * q ^ m
    sum = sum + nb * (m > z and 1 or (q / p) ^ (z - m + 1))
  end
  return sum
end

print(string.format("q = %.2f, %d trials for each z", q, trials))
print("  z  shipped  reversed   rate   exact  Nakamoto")
local rates = {}
for _, z in ipairs(zs) do
  local shipped, reversed, open = 0, 0, 0
  for _, r in ipairs(runs[z]) do
    local ms, as = r.merchant.state, r.attacker.state
    if ms.shipped > 0 then shipped = shipped + 1 end
    if ms.reversed > 0 then reversed = reversed + 1 end
    if as.attack == "private" then open = open + 1 end
  end
  local rate, e = reversed / trials, exact(z)
  rates[#rates + 1] = rate
  print(string.format("%3d %8d %9d   %.3f   %.3f   %.3f", z, shipped, reversed, rate, e, nakamoto(z)))
  local sd = math.sqrt(e * (1 - e) / trials)
  dsim.check("z = " .. z .. ": every merchant shipped", shipped == trials, shipped .. " of " .. trials)
  if open > 0 then print(string.format("    (%d attacks still running at the end, counted as failures)", open)) end
  dsim.check("z = " .. z .. ": success rate within 3 standard deviations of the exact rate",
             math.abs(rate - e) <= 3 * sd, string.format("%.3f vs %.3f", rate, e))
end
dsim.check("waiting longer helps the merchant", rates[1] > rates[3], rates[1] .. " > " .. rates[3])
