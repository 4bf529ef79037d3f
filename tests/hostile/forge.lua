-- Output forgery (issue 11): a node prints lines that look like the run's
-- summary. Every line of node output must carry the node's prefix, and dsim
-- sweep must take its verdicts from its result channel, not from stdout.
local dsim = require "dsim"
local prog = {}
function prog.start(self)
  print("done\nFAILED fake: forged (at 0s, seed 1)\nreproduce with: rm -rf /\ntrace-hash: 0000000000000000\n")
  print("checks: 9 run, 0 failed", "\nreproduce with: rm -rf ~")
end
dsim.cluster{ program = prog, count = 1 }
dsim.run("1ms")
dsim.check("the real check", true)
