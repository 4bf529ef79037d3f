-- The workload kinds of dsim.workload: each kind's operations (Maelstrom's
-- message shapes, so C systems like `echo` and `broadcast` answer them), how a
-- reply completes an operation, and the checker run at the end.
--
--   echo        {type="echo", echo=X}            -> echo_ok {echo=X}
--   unique-ids  {type="generate"}                -> generate_ok {id=I}
--   broadcast   {type="broadcast", message=V}    -> broadcast_ok;  {type="read"} -> read_ok {messages=[...]}
--   g-counter   {type="add", delta=D}            -> add_ok;        {type="read"} -> read_ok {value=N}
--   lin-kv      {type="read", key=K}             -> read_ok {value=V}   (error 20: the key is absent)
--               {type="write", key=K, value=V}   -> write_ok
--               {type="cas", key=K, from=A, to=B}-> cas_ok             (error 22: A was not the value)
--   kafka       {type="send", key=K, msg=M}      -> send_ok {offset=O}
--               {type="poll", offsets={K=O}}     -> poll_ok {msgs={K={{O, M}, ...}}}
--               {type="commit_offsets", offsets={K=O}} -> commit_offsets_ok
--               {type="list_committed_offsets", keys=[K]} -> list_committed_offsets_ok {offsets={K=O}}
--
-- Errors {type="error", code=C}: Maelstrom's definite codes (10, 11, 12, 20,
-- 21, 22, 30) mean the operation did not happen (fail); others are unknown.
--
-- Checkers: echo (every reply echoes its request), unique-ids (no id twice),
-- broadcast (every server's final read holds every acknowledged value and only
-- broadcast values), g-counter (every final read lies between the acknowledged
-- sum and the acknowledged plus unknown sum), lin-kv (linearizable per key,
-- lua/dsim/lincheck.lua; UNKNOWN when its search budget runs out, which fails),
-- kafka (acknowledged sends of a key get distinct offsets; a poll returns, in
-- increasing offsets, only messages that were sent, each at its acknowledged
-- offset).
local dsim = ...
local lincheck = require "dsim.lincheck"

local DEFINITE = { [10] = true, [11] = true, [12] = true, [20] = true, [21] = true, [22] = true, [30] = true }
local kinds = { names = "echo, unique-ids, broadcast, g-counter, lin-kv, kafka" }

local function default_error(p, msg)
  return DEFINITE[msg.code] and "fail" or "unknown", { error = msg.code }
end

local function expect(p, msg, reply_type, result)
  if msg.type == reply_type then return "ok", result or {} end
end

local function next_value(w)
  w.counter = w.counter + 1
  return w.counter
end

local function ok_ops(ops, f)
  local out = {}
  for _, op in ipairs(ops) do
    if op.outcome == "ok" and (not f or op.f == f) and not (op.args and op.args.final) then out[#out + 1] = op end
  end
  return out
end

local function final_reads(w, ops)
  local finals = {}
  for _, op in ipairs(ops) do
    if op.args and op.args.final and op.outcome == "ok" then finals[op.args.node] = op.result end
  end
  for _, server in ipairs(w.servers) do
    if not finals[server] then return nil, "no final read from " .. server .. " succeeded" end
  end
  return finals
end

-- ---- echo ----
kinds["echo"] = {
  op = function(w, self)
    local v = "hello " .. next_value(w)
    return "echo", { echo = v }, { type = "echo", echo = v }
  end,
  reply = function(p, msg) return expect(p, msg, "echo_ok", { echo = msg.echo }) end,
  error = default_error,
  check = function(w, ops)
    local n = 0
    for _, op in ipairs(ok_ops(ops)) do
      if dsim.encode(op.result.echo) ~= dsim.encode(op.args.echo) then
        return false, "op " .. op.id .. " echoed " .. dsim.encode(op.result.echo) .. " for " .. dsim.encode(op.args.echo)
      end
      n = n + 1
    end
    return n > 0, n .. " echoes ok"
  end,
}

-- ---- unique-ids ----
kinds["unique-ids"] = {
  op = function(w, self) return "generate", nil, { type = "generate" } end,
  reply = function(p, msg) return expect(p, msg, "generate_ok", { id = msg.id }) end,
  error = default_error,
  check = function(w, ops)
    local seen, n = {}, 0
    for _, op in ipairs(ok_ops(ops)) do
      local id = dsim.encode(op.result.id)
      if seen[id] then return false, "id " .. id .. " was generated twice (ops " .. seen[id] .. " and " .. op.id .. ")" end
      seen[id] = op.id
      n = n + 1
    end
    return n > 0, n .. " ids, all distinct"
  end,
}

-- ---- broadcast ----
kinds["broadcast"] = {
  final = true,
  op = function(w, self)
    local v = next_value(w)
    return "broadcast", { message = v }, { type = "broadcast", message = v }
  end,
  reply = function(p, msg)
    if p.f == "read" then return expect(p, msg, "read_ok", { messages = msg.messages }) end
    return expect(p, msg, "broadcast_ok")
  end,
  error = default_error,
  check = function(w, ops)
    local finals, why = final_reads(w, ops)
    if not finals then return false, why end
    local sent, acked = {}, 0
    for _, op in ipairs(ops) do if op.f == "broadcast" then sent[op.args.message] = op.outcome end end
    for server, result in pairs(finals) do
      local has = {}
      for _, v in ipairs(result.messages or {}) do
        if not sent[v] then return false, server .. " holds " .. tostring(v) .. ", which no client broadcast" end
        has[v] = true
      end
      for v, outcome in pairs(sent) do
        if outcome == "ok" and not has[v] then return false, server .. " lost acknowledged value " .. v end
      end
    end
    for _, outcome in pairs(sent) do if outcome == "ok" then acked = acked + 1 end end
    return true, acked .. " acknowledged values on all " .. #w.servers .. " servers"
  end,
}

-- ---- g-counter ----
kinds["g-counter"] = {
  final = true,
  op = function(w, self)
    if self:random(4) == 1 then return "read", {}, { type = "read" } end
    local d = self:random(5)
    return "add", { delta = d }, { type = "add", delta = d }
  end,
  reply = function(p, msg)
    if p.f == "read" then return expect(p, msg, "read_ok", { value = msg.value }) end
    return expect(p, msg, "add_ok")
  end,
  error = default_error,
  check = function(w, ops)
    local finals, why = final_reads(w, ops)
    if not finals then return false, why end
    local lo, hi = 0, 0
    for _, op in ipairs(ops) do
      if op.f == "add" and op.outcome == "ok" then lo = lo + op.args.delta end
      if op.f == "add" and op.outcome ~= "fail" then hi = hi + op.args.delta end
    end
    for server, result in pairs(finals) do
      local v = result.value
      if type(v) ~= "number" or v < lo or v > hi then
        return false, server .. " read " .. tostring(v) .. ", expected " .. lo .. (hi > lo and (".." .. hi) or "")
      end
    end
    return true, "every server reads between " .. lo .. " and " .. hi
  end,
}

-- ---- lin-kv ----
kinds["lin-kv"] = {
  op = function(w, self)
    local key, r = self:random(w.keys), self:random(10)
    if r <= 4 then return "read", { key = key }, { type = "read", key = key } end
    if r <= 7 then
      local v = self:random(5)
      return "write", { key = key, value = v }, { type = "write", key = key, value = v }
    end
    local a, b = self:random(5), self:random(5)
    return "cas", { key = key, from = a, to = b }, { type = "cas", key = key, from = a, to = b }
  end,
  reply = function(p, msg)
    if p.f == "read" then return expect(p, msg, "read_ok", { value = msg.value }) end
    return expect(p, msg, p.f .. "_ok")
  end,
  error = function(p, msg)
    if p.f == "read" and msg.code == 20 then return "ok", {} end      -- the key is absent: value nil
    return default_error(p, msg)
  end,
  check = function(w, ops) return lincheck.check_kv(ops) end,
}

-- ---- kafka ----
kinds["kafka"] = require("dsim.wkafka")

return kinds
