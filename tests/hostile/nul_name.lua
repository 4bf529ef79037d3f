-- A node name with a NUL byte is refused, not cut short (issue 11, small errors).
local dsim = require "dsim"
dsim.cluster{ program = {}, names = { "a\0b" } }
dsim.run("1ms")
