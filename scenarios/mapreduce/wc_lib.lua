-- Shared by the MapReduce scenarios: the word-count job's functions, a seeded
-- synthetic text, and the comparison of a job's output with a reference.
local L = {}

function L.map(offset, line)
  local out = {}
  for w in line:gmatch("%a+") do out[#out + 1] = { w:lower(), 1 } end
  return out
end

function L.sum(key, counts)
  local n = 0
  for _, c in ipairs(counts) do n = n + c end
  return n
end

local VOCAB = { "the", "of", "and", "to", "a", "in", "data", "node", "block", "map", "reduce", "task", "worker",
                "master", "shuffle", "sort", "key", "value", "rack", "replica", "disk", "network", "failure",
                "straggler", "backup", "locality", "partition", "combiner", "output", "input", "split", "job" }

-- About `bytes` bytes of lines of words; word i of the vocabulary is drawn with
-- weight 1/i (a Zipf-like mix, so a combiner has repeats to fold). Seeded by the
-- scenario's stream (math.random), so the same in every run.
function L.text(bytes)
  local weights, total = {}, 0
  for i = 1, #VOCAB do total = total + 1 / i; weights[i] = total end
  local lines, size, line = {}, 0, {}
  while size < bytes do
    local x, i = math.random() * total, 1
    while weights[i] < x do i = i + 1 end
    line[#line + 1] = VOCAB[i]
    if #line == 10 then
      local s = table.concat(line, " ") .. "\n"
      lines[#lines + 1], size, line = s, size + #s, {}
    end
  end
  return table.concat(lines)
end

-- The number of keys whose values differ between got and want (both ways).
function L.differences(got, want)
  local wrong = 0
  for k, v in pairs(want) do if got[k] ~= v then wrong = wrong + 1 end end
  for k in pairs(got) do if want[k] == nil then wrong = wrong + 1 end end
  return wrong
end

return L
