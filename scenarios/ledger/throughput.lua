-- Throughput against block size and block interval. Six chains side by side
-- (each its own group of 6 nodes), every node paying every 1s on average, so 6
-- transactions a second are offered to each chain. A chain confirms at most
-- block_txs transactions per block interval; below that the rest wait in the
-- mempools (which hold at most 4 blocks' worth plus 64, then drop). Measured:
-- transactions on the chain per second of simulated time, beside the capacity
-- block_txs / interval and the offered load.
local dsim = require "dsim"

dsim.network{ latency = dsim.exponential("50ms") }
local setups = { { 5, 10 }, { 20, 10 }, { 80, 10 }, { 5, 2 }, { 20, 2 }, { 80, 2 } }
local chains = {}
for i, setup in ipairs(setups) do
  local txs, interval = setup[1], setup[2]
  chains[i] = dsim.cluster{ system = "blockchain", name = "c" .. i .. "n", group = "c" .. i, count = 6,
                            hash_rate = 1000, difficulty = 6000 * interval, block_txs = txs,
                            tx_interval = "1s", initial = 1000, retarget = 0 }
end
local T = 600
dsim.run(T .. "s")

print("block_txs  interval  blocks  capacity tx/s  confirmed tx/s  offered tx/s")
local rates = {}
for i, setup in ipairs(setups) do
  local s = chains[i][1].state
  local capacity, rate = setup[1] / setup[2], s.txs / T
  rates[i] = rate
  print(string.format("%9d %8ds %7d %14.1f %15.2f %13.1f", setup[1], setup[2], s.height, capacity, rate, 6.0))
  dsim.check(string.format("block_txs %d every %ds: throughput at most the capacity", setup[1], setup[2]),
             rate <= capacity * 1.3, string.format("%.2f", rate))
end
dsim.check("bigger blocks carry more (10s interval)", rates[1] < rates[2] and rates[2] < rates[3],
           string.format("%.2f < %.2f < %.2f", rates[1], rates[2], rates[3]))
dsim.check("shorter intervals carry more (5 txs a block)", rates[4] > rates[1],
           string.format("%.2f > %.2f", rates[4], rates[1]))
