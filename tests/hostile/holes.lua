-- `#` on copies of tables with holes (issue 11, determinism): a node's state
-- and its options are copied in a canonical order, so the length the copy
-- reports is the same in every process. tests/check_hostile.c runs this twice
-- and compares the output byte for byte.
local dsim = require "dsim"
local holes = {}
for i = 1, 40 do if i % 3 ~= 0 then holes[i] = i end end
for i = 1, 30 do holes["k" .. i] = i end
holes[7], holes[20], holes[33] = nil, nil, nil
local prog = {}
function prog.start(self)
  self.t = {}
  for i = 1, 60 do if i % 4 ~= 1 then self.t[i] = i end end
  for i = 1, 50 do self.t["s" .. i] = i end
  self.t[12], self.t[30] = nil, nil
  self.len_options = #self.options.holes
end
dsim.cluster{ program = prog, count = 1, options = { holes = holes } }
dsim.run("1ms")
local st = dsim.node("n1").state
print("length of a copied state: " .. #st.t .. ", of copied options: " .. st.len_options)
dsim.check("a state copy has a length", #st.t >= 0)
local t = { a = 1 }
local k = next(t)
t.b = 2
local seen = {}
local key = next(t)
while key do seen[#seen + 1] = key; key = next(t, key) end
dsim.check("a traversal begun after keys were added sees them", #seen == 2, table.concat(seen, ","))
dsim.check("copies made", st.len_options ~= nil)
