-- Session guarantees (Terry et al., 1994) over a lin-kv history (dsim.history()),
-- as named checks: the promises a replicated store can make to one client even
-- when it is not linearizable.
--
--   local session = require "dsim.session"
--   local ok, msg, bad = session.read_your_writes(dsim.history())
--   local ok, msg, bad = session.monotonic_reads(dsim.history())
--   session.check(dsim, dsim.history())     -- both, as dsim.check verdicts
--
-- read-your-writes: a client's read of key k returns its own last acknowledged
--   write of k, or a value some write could have put there after it.
-- monotonic-reads: a client's read of k never returns a value older than one
--   its earlier read of k returned.
--
-- Values repeat in lin-kv (writes draw from 1..5), so "older" is judged by real
-- time only: a value counts as newer than write w when SOME write of that value
-- (ok or unknown, from any client) had not completed when w was invoked. This
-- never blames a correct store (no false alarm) but can miss a violation whose
-- stale value happens to be written again later. A violation names the read:
-- its op id, client, key, time and value, and the write it failed to see.
-- Each function returns ok, a one-line message, and the list of violations.
--
-- The same checks exist in C (sim/check/session.c), with the same rules and the
-- same words: dsim.session{ check = "read-your-writes" | "monotonic-reads" |
-- "both", clients = ... } over the kernel history, and
-- `dsim check TRACE --check session` over a recorded run; tests/check_session.c
-- runs both on the stores of scenarios/replication/stale_read.lua and requires
-- them to agree read for read.
local M = {}

local INF = math.huge

-- Writes (write and cas, not failed) of each key, with the value they leave.
local function writes_by_key(ops)
  local by = {}
  for _, op in ipairs(ops) do
    if (op.f == "write" or op.f == "cas") and op.outcome ~= "fail" and op.args then
      local k = op.args.key
      by[k] = by[k] or {}
      by[k][#by[k] + 1] = { op = op, value = op.f == "write" and op.args.value or op.args.to,
                            invoke = op.invoke, complete = op.outcome == "ok" and op.complete or INF }
    end
  end
  return by
end

local function is_read(op)
  return op.f == "read" and op.outcome == "ok" and op.args and not op.args.final
end

local function value_of(op) return op.result and op.result.value end

-- Per client, its operations in invoke order (one at a time in lin-kv).
local function by_process(ops)
  local procs, order = {}, {}
  for _, op in ipairs(ops) do
    if not procs[op.process] then procs[op.process] = {}; order[#order + 1] = op.process end
    table.insert(procs[op.process], op)
  end
  return procs, order
end

-- True when some write of value x to key k could follow time t (not completed before it).
local function written_after(writes, x, t, except)
  for _, w in ipairs(writes or {}) do
    if w.value == x and w.op ~= except and w.complete > t then return true end
  end
  return false
end

local function fmt_t(t) return string.format("%.3fs", t) end

local function report(name, bad, total)
  if #bad == 0 then return true, name .. ": " .. total .. " reads, none violates it", bad end
  local b = bad[1]
  return false, string.format("%s: %d of %d reads violate it; first: %s", name, #bad, total, b.why), bad
end

function M.read_your_writes(ops)
  local writes = writes_by_key(ops)
  local procs, order = by_process(ops)
  local bad, total = {}, 0
  for _, p in ipairs(order) do
    local mine = {}                                   -- key -> my last acknowledged write
    for _, op in ipairs(procs[p]) do
      if (op.f == "write" or op.f == "cas") and op.outcome == "ok" then
        mine[op.args.key] = { op = op, value = op.f == "write" and op.args.value or op.args.to }
      elseif is_read(op) then
        total = total + 1
        local w, x = mine[op.args.key], value_of(op)
        if w and x ~= w.value and not (x ~= nil and written_after(writes[op.args.key], x, w.op.invoke, w.op)) then
          bad[#bad + 1] = { op = op.id, process = p, key = op.args.key, value = x, write = w.op.id,
            why = string.format("op %d (%s read key %s at %s) returned %s, but %s's write op %d of %s completed at %s",
              op.id, p, tostring(op.args.key), fmt_t(op.invoke), tostring(x), p, w.op.id, tostring(w.value),
              fmt_t(w.op.complete)) }
        end
      end
    end
  end
  return report("read-your-writes", bad, total)
end

-- True when value x is older than the value y that read r1 returned.
local function older(writes, x, y, r1)
  if x == nil then return true end                   -- no deletes: absent is the oldest state
  local first_y = INF                                -- the earliest write r1 may have seen
  for _, w in ipairs(writes or {}) do
    if w.value == y and w.invoke < r1.complete and w.invoke < first_y then first_y = w.invoke end
  end
  return not written_after(writes, x, first_y, nil)
end

function M.monotonic_reads(ops)
  local writes = writes_by_key(ops)
  local procs, order = by_process(ops)
  local bad, total = {}, 0
  for _, p in ipairs(order) do
    local last = {}                                   -- key -> my previous ok read
    for _, op in ipairs(procs[p]) do
      if is_read(op) then
        total = total + 1
        local k, r1 = op.args.key, last[op.args.key]
        local x = value_of(op)
        if r1 and value_of(r1) ~= nil and x ~= value_of(r1) and older(writes[k], x, value_of(r1), r1) then
          bad[#bad + 1] = { op = op.id, process = p, key = k, value = x, earlier = r1.id,
            why = string.format("op %d (%s read key %s at %s) returned %s, older than the %s its read op %d returned at %s",
              op.id, p, tostring(k), fmt_t(op.invoke), tostring(x), tostring(value_of(r1)), r1.id, fmt_t(r1.complete)) }
        end
        last[k] = op
      end
    end
  end
  return report("monotonic-reads", bad, total)
end

-- Records both as dsim.check verdicts (names "read-your-writes", "monotonic-reads"
-- with an optional prefix); returns the two results.
function M.check(dsim, ops, prefix)
  local pre = prefix and (prefix .. " ") or ""
  local ok1, m1, b1 = M.read_your_writes(ops)
  local ok2, m2, b2 = M.monotonic_reads(ops)
  dsim.check(pre .. "read-your-writes", ok1, m1)
  dsim.check(pre .. "monotonic-reads", ok2, m2)
  return { ok = ok1, msg = m1, bad = b1 }, { ok = ok2, msg = m2, bad = b2 }
end

-- The operations of the given client nodes only (handles or names).
function M.of_clients(ops, clients)
  local mine = {}
  for _, c in ipairs(clients) do mine[type(c) == "string" and c or c.name] = true end
  local out = {}
  for _, op in ipairs(ops) do if mine[op.process] then out[#out + 1] = op end end
  return out
end

return M
