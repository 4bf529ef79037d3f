-- A DHT with empty buckets cannot route: k must be at least 1 (chapter 15).
local dsim = require "dsim"
dsim.cluster{ system = "kademlia", count = 3, k = 0 }
