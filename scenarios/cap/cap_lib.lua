-- Helpers shared by the CAP scenarios: option merging, availability in a time
-- window, and the linearizability of the whole client history.
local dsim = require "dsim"
local lincheck = require "dsim.lincheck"
local M = {}

function M.with(base, extra)
  local t = {}
  for k, v in pairs(base) do t[k] = v end
  for k, v in pairs(extra) do t[k] = v end
  return t
end

-- The operations of workload w invoked in [from, to) seconds: how many, how
-- many the store answered (ok, or a definite answer about the data: error 20
-- "key does not exist" or 22 "precondition failed"), and the ratio. A refusal
-- (error 11) and a timeout are not answers.
function M.availability(w, from, to)
  local mine = {}
  for _, c in ipairs(w.clients) do mine[c.name] = true end
  local n, ok = 0, 0
  for _, op in ipairs(dsim.history()) do
    if mine[op.process] and op.invoke >= from and op.invoke < to then
      n = n + 1
      local code = op.outcome == "fail" and op.result and op.result.error
      if op.outcome == "ok" or code == 20 or code == 22 then ok = ok + 1 end
    end
  end
  return { n = n, ok = ok, ratio = n > 0 and ok / n or 0 }
end

function M.show(av)
  return string.format("%d of %d answered (%.0f%%)", av.ok, av.n, 100 * av.ratio)
end

-- Every client's operations together, checked key by key.
function M.linearizable() return lincheck.check_kv(dsim.history()) end

return M
