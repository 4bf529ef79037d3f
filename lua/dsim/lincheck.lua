-- Linearizability of a key-value register history, per key: Wing & Gong's search
-- with Lowe's memoization (the algorithm of Porcupine), in Lua.
--
-- Each operation is a call entry at its invoke time and a return entry at its
-- completion; an operation with an unknown outcome (a timeout) may have taken
-- effect at any time after its call, so its return is at +infinity and it may
-- also never take effect. Failed operations took no effect and are dropped, as
-- are unknown reads (they constrain nothing). Entries at the same time order
-- calls before returns, so such operations count as concurrent (the weaker,
-- never falsely failing, reading).
--
-- Search: walk the entry list; at a call, try to linearize the operation now
-- (the model accepts it and the pair (linearized set, state) is new): lift it
-- out and restart from the head; at a return whose call is still in the list,
-- backtrack. Success when only unknown operations' returns remain.
-- Cost: exponential in the worst case; a step budget turns a search that is too
-- long into "unknown" (reported as a failure, never as a pass).
--
-- The register model: read(v) needs state == v (nil: the key is absent);
-- write(v) sets it; cas(a, b) needs state == a and sets b.
local M = {}

local INF = math.huge

local function step(state, op)
  if op.f == "read" then return op.result.value == state, state end
  if op.f == "write" then return true, op.args.value end
  if op.f == "cas" then return state == op.args.from, op.args.to end
  return false, state
end

-- Entries sorted by (time, call before return, op index): a doubly linked list.
local function entries_of(ops)
  local e = {}
  for i, op in ipairs(ops) do
    local ret = op.outcome == "ok" and op.complete or INF
    e[#e + 1] = { t = op.invoke, call = true, op = i }
    e[#e + 1] = { t = ret, call = false, op = i }
  end
  table.sort(e, function(a, b)
    if a.t ~= b.t then return a.t < b.t end
    if a.call ~= b.call then return a.call end
    return a.op < b.op
  end)
  local first = { next = e[1] }
  for i, x in ipairs(e) do
    x.prev = e[i - 1] or first
    x.next = e[i + 1]
    if not x.call then ops[x.op].ret_entry = x end
  end
  for _, x in ipairs(e) do if x.call then x.match = ops[x.op].ret_entry end end
  return first
end

local function unlink(x)
  x.prev.next = x.next
  if x.next then x.next.prev = x.prev end
end

local function relink(x)
  x.prev.next = x
  if x.next then x.next.prev = x end
end

local function lift(call) unlink(call); unlink(call.match) end
local function unlift(call) relink(call.match); relink(call) end

local function key_of(bits, state) return table.concat(bits, ",") .. "|" .. tostring(state) end

local function set_bit(bits, i, on)
  local w, b = (i - 1) // 30 + 1, (i - 1) % 30
  for j = #bits + 1, w do bits[j] = 0 end
  if on then bits[w] = bits[w] | (1 << b) else bits[w] = bits[w] & ~(1 << b) end
end

-- true, false (no linearization) or nil (budget exhausted).
function M.search(ops, budget)
  local head = entries_of(ops)
  local state, bits, cache, stack, steps = nil, {}, {}, {}, 0
  local x = head.next
  while head.next do
    steps = steps + 1
    if steps > budget then return nil end
    if x.call then
      local op = ops[x.op]
      local ok, new = step(state, op)
      set_bit(bits, x.op, true)
      local k = ok and key_of(bits, new)
      if ok and not cache[k] then
        cache[k] = true
        stack[#stack + 1] = { x, state }
        state = new
        lift(x)
        x = head.next
      else
        set_bit(bits, x.op, false)
        x = x.next
      end
    else
      if x.t == INF then return true end              -- only unknown operations remain
      if #stack == 0 then return false end
      local top = table.remove(stack)
      x, state = top[1], top[2]
      set_bit(bits, x.op, false)
      unlift(x)
      x = x.next
    end
  end
  return true
end

-- Checks every key of a lin-kv history; returns ok, message.
function M.check_kv(history, budget)
  budget = budget or 200000
  local by_key, keys, n = {}, {}, 0
  for _, op in ipairs(history) do
    local useful = op.outcome == "ok" or (op.outcome ~= "fail" and op.f ~= "read")
    if useful and op.args and op.args.key ~= nil then
      local k = op.args.key
      if not by_key[k] then by_key[k] = {}; keys[#keys + 1] = k end
      local list = by_key[k]
      list[#list + 1] = { f = op.f, args = op.args, result = op.result or {}, outcome = op.outcome,
                          invoke = op.invoke, complete = op.complete, id = op.id }
      n = n + 1
    end
  end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    local verdict = M.search(by_key[k], budget)
    if verdict == nil then
      return false, "UNKNOWN: key " .. tostring(k) .. ": search budget of " .. budget .. " steps exhausted"
    end
    if not verdict then
      return false, "key " .. tostring(k) .. ": the " .. #by_key[k] .. " operations have no linearization"
    end
  end
  return n > 0, n .. " operations on " .. #keys .. " keys are linearizable"
end

return M
