-- The kafka workload of dsim.workload (Maelstrom's kafka): append-only logs per
-- key, polled from offsets, with committed offsets.
--
--   send                   {type="send", key=K, msg=M}             -> send_ok {offset=O}
--   poll                   {type="poll", offsets={K=O}}            -> poll_ok {msgs={K={{O, M}, ...}}}
--   commit_offsets         {type="commit_offsets", offsets={K=O}}  -> commit_offsets_ok
--   list_committed_offsets {type="list_committed_offsets", keys=[K]}
--                                               -> list_committed_offsets_ok {offsets={K=O}}
--
-- Keys are "k1" .. "kN"; messages are unique integers. Each client polls from
-- the offset after the last one it saw per key and commits what it polled.
--
-- Checker: (1) two acknowledged sends of one key never share an offset; (2) in
-- a poll, each key's offsets strictly increase; (3) a polled message was sent to
-- that key, and at an acknowledged offset it is the message acknowledged there.
local dsim = ...

local DEFINITE = { [10] = true, [11] = true, [12] = true, [20] = true, [21] = true, [22] = true, [30] = true }
local K = {}

local function key_of(w, self) return "k" .. self:random(w.keys) end

function K.op(w, self)
  self.kafka = self.kafka or { next = {} }
  local r = self:random(10)
  if r <= 5 then
    w.counter = w.counter + 1
    local key, m = key_of(w, self), w.counter
    return "send", { key = key, msg = m }, { type = "send", key = key, msg = m }
  elseif r <= 8 then
    local offsets = dsim.object()
    for k, o in pairs(self.kafka.next) do offsets[k] = o end
    if next(offsets) == nil then offsets[key_of(w, self)] = 0 end
    return "poll", { offsets = offsets }, { type = "poll", offsets = offsets }
  elseif r <= 9 then
    local offsets = dsim.object()
    for k, o in pairs(self.kafka.next) do offsets[k] = o - 1 end
    return "commit_offsets", { offsets = offsets }, { type = "commit_offsets", offsets = offsets }
  end
  local keys = dsim.array()
  for i = 1, w.keys do keys[i] = "k" .. i end
  return "list_committed_offsets", { keys = keys }, { type = "list_committed_offsets", keys = keys }
end

function K.reply(p, msg, self)
  if msg.type ~= p.f .. "_ok" then return nil end
  if p.f == "send" then return "ok", { offset = msg.offset } end
  if p.f == "poll" then
    for k, list in pairs(type(msg.msgs) == "table" and msg.msgs or {}) do
      for _, pair in ipairs(list) do
        if type(pair[1]) == "number" and pair[1] + 1 > (self.kafka.next[k] or 0) then self.kafka.next[k] = pair[1] + 1 end
      end
    end
    return "ok", { msgs = msg.msgs }
  end
  if p.f == "list_committed_offsets" then return "ok", { offsets = msg.offsets } end
  return "ok", {}
end

function K.error(p, msg) return DEFINITE[msg.code] and "fail" or "unknown", { error = msg.code } end

local function check_poll(op, sent, acked)
  for k, list in pairs(type(op.result.msgs) == "table" and op.result.msgs or {}) do
    local last = -math.huge
    for _, pair in ipairs(list) do
      local off, m = pair[1], pair[2]
      if type(off) ~= "number" or off <= last then
        return "poll " .. op.id .. ": offsets of " .. k .. " do not increase at " .. tostring(off)
      end
      last = off
      if not (sent[k] and sent[k][m]) then return "poll " .. op.id .. ": " .. k .. " returned " .. tostring(m) .. ", never sent" end
      local at = acked[k] and acked[k][off]
      if at and at ~= m then
        return "poll " .. op.id .. ": " .. k .. "@" .. off .. " is " .. tostring(m) .. ", but send of " .. at .. " was acknowledged there"
      end
    end
  end
end

function K.check(w, ops)
  local sent, acked, nsends, npolls = {}, {}, 0, 0
  for _, op in ipairs(ops) do
    if op.f == "send" then
      local k, m = op.args.key, op.args.msg
      sent[k] = sent[k] or {}
      sent[k][m] = true
      if op.outcome == "ok" then
        local off = op.result.offset
        if type(off) ~= "number" then return false, "send " .. op.id .. " was acknowledged without an offset" end
        acked[k] = acked[k] or {}
        if acked[k][off] then return false, k .. ": messages " .. acked[k][off] .. " and " .. m .. " both acknowledged at offset " .. tostring(off) end
        acked[k][off] = m
        nsends = nsends + 1
      end
    end
  end
  for _, op in ipairs(ops) do
    if op.f == "poll" and op.outcome == "ok" then
      local why = check_poll(op, sent, acked)
      if why then return false, why end
      npolls = npolls + 1
    end
  end
  return nsends > 0, nsends .. " sends acknowledged, " .. npolls .. " polls consistent"
end

return K
