-- A scenario with a syntax error on line 4: dsim reports it with this file and line.
local dsim = require "dsim"
local x = 1
local y = = 2
