-- A miner with no hash power is a mistake in the scenario, not a slow miner.
local dsim = require "dsim"
dsim.cluster{ system = "blockchain", count = 3, hash_rate = 0 }
dsim.run("10s")
