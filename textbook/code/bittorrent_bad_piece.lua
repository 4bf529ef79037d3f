-- A piece cannot be larger than the file it is a piece of (chapter 15).
local dsim = require "dsim"
dsim.cluster{ system = "bittorrent_tracker", names = { "tracker" } }
dsim.cluster{ system = "bittorrent", tracker = "tracker", file_size = 1000, piece_size = 4096 }
