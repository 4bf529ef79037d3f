-- dsim.workload: Maelstrom-shaped clients at a rate and a concurrency, recorded
-- into the kernel history (invoke/complete), and checked at the end.
--
--   local w = dsim.workload{ "lin-kv", nodes = servers, rate = "100/s",
--                            concurrency = 4, timeout = "500ms", stop = "4s",
--                            final = "5s", keys = 3, clients = "c" }
--
-- Kinds: echo, unique-ids, broadcast, g-counter, lin-kv, kafka (their messages
-- and checkers are in lua/dsim/wkinds.lua). Each of the `concurrency` clients is
-- a simulated node (c1, c2 ...) running the client program below, marked as a
-- client so the nemesis leaves it alone and one-group partitions exclude it. A
-- client has one operation in flight: it waits an exponential think time (mean
-- concurrency / rate, from its own stream), invokes an operation on a random
-- server, and completes it ok / fail (a definite error) / unknown (a timeout or
-- an indefinite error), Jepsen's semantics. No new operation starts after
-- `stop`. Kinds with final reads (broadcast, g-counter) have the first client
-- read every server at `final` (default stop + 1s), retrying timeouts.
--
-- Client state machine:
--
--     IDLE --think timer--> WAITING(op) --reply--> IDLE (or the next final read)
--                              |--timeout: unknown--> IDLE
--     any --final timer--> FINAL: read server 1, 2 ... each until ok or 5 tries
--
-- The check runs as dsim.final("workload <kind>") unless check = false;
-- w:check() returns ok, message; w:counts() returns {ok=, fail=, unknown=}.
local dsim, internal = ...
local kinds = require "dsim.wkinds"

local KNOWN = { [1] = 1, kind = 1, nodes = 1, rate = 1, concurrency = 1, timeout = 1, start = 1, stop = 1,
                final = 1, keys = 1, clients = 1, check = 1 }
local FINAL_TRIES = 5

-- Validation errors travel as an Invalid table to the entry point, which turns
-- them into "bad argument #1 to 'workload' (...)" at the scenario's line.
local Invalid = {}
local function argerr(msg) error(setmetatable({ msg = msg }, Invalid), 0) end

local function field(name, conv, value)
  local ok, v = pcall(conv, value)
  if not ok then argerr("field '" .. name .. "': " .. (tostring(v):match("%((.*)%)$") or tostring(v))) end
  return v
end

local function client_program(w)
  local K = w.K
  local P = {}

  local function send_op(self, f, args, body, target, final)
    self.msg_id = self.msg_id + 1
    body.msg_id = self.msg_id
    local id = internal.invoke(f, args)
    self.pending = { id = id, msg_id = self.msg_id, f = f, args = args, final = final }
    self:send(target, body)
    self:set_timer("timeout", dsim.s(w.timeout))
  end

  local function next_final(self)
    local target = w.servers[self.final_i]
    if not target then return end
    send_op(self, "read", { final = true, node = target }, { type = "read" }, target, true)
  end

  local function idle(self)
    if self.final_i then return next_final(self) end
    if w.stop and self:now() >= w.stop then return end
    self:set_timer("op", dsim.s(-math.log(1 - self:random()) * w.think))
  end

  local function final_done(self, ok)
    self.tries = ok and 0 or self.tries + 1
    if ok or self.tries >= FINAL_TRIES then
      self.final_i = self.final_i + 1
      self.tries = 0
    end
  end

  function P.start(self)
    self.msg_id = 0
    self.tries = 0
    if w.final and self.name == w.reader then self:set_timer("final", dsim.s(math.max(0, w.final - self:now()))) end
    self:set_timer("op", dsim.s(math.max(0, w.start - self:now()) - math.log(1 - self:random()) * w.think))
  end

  function P.timer(self, name)
    if name == "op" then
      if self.pending or self.final_i or (w.stop and self:now() >= w.stop) then return end
      local target = w.servers[self:random(#w.servers)]
      local f, args, body = K.op(w, self)
      send_op(self, f, args, body, target, false)
    elseif name == "timeout" then
      local p = self.pending
      self.pending = nil
      internal.complete(p.id, "unknown", nil)
      if p.final then final_done(self, false) end
      idle(self)
    elseif name == "final" then
      self.final_i = 1
      if not self.pending then idle(self) end
    end
  end

  function P.receive(self, from, msg)
    local p = self.pending
    if not p or type(msg) ~= "table" or msg.in_reply_to ~= p.msg_id then return end
    local outcome, result
    if msg.type == "error" then outcome, result = K.error(p, msg, self)
    else outcome, result = K.reply(p, msg, self) end
    if not outcome then return end                    -- not the reply this op waits for
    self:cancel_timer("timeout")
    self.pending = nil
    internal.complete(p.id, outcome, result)
    if p.final then final_done(self, outcome == "ok") end
    idle(self)
  end
  return P
end

-- The operations of this workload's clients, from the kernel history.
local function history_of(w)
  local ops = {}
  for _, op in ipairs(dsim.history()) do
    if w.is_mine[op.process] then ops[#ops + 1] = op end
  end
  return ops
end

local function server_names(nodes)
  if type(nodes) ~= "table" or #nodes == 0 then argerr("field 'nodes': a list of server nodes expected") end
  local names = {}
  for i, n in ipairs(nodes) do names[i] = field("nodes", dsim.node, n).name end
  return names
end

local function count_outcomes(w)
  local c = { ok = 0, fail = 0, unknown = 0, pending = 0 }
  for _, op in ipairs(history_of(w)) do c[op.outcome] = c[op.outcome] + 1 end
  return c
end

local function build(opts)
  if type(opts) ~= "table" then argerr("table expected, got " .. type(opts)) end
  for k in pairs(opts) do
    if not KNOWN[k] then argerr("unknown option '" .. tostring(k) .. "'") end
  end
  local kind = opts.kind or opts[1]
  local K = kinds[kind]
  if not K then argerr("unknown workload '" .. tostring(kind) .. "' (" .. kinds.names .. ")") end
  local w = { kind = kind, K = K, counter = 0, is_mine = {} }
  w.servers = server_names(opts.nodes)
  w.rate = field("rate", dsim.rate, opts.rate or "10/s")
  w.concurrency = opts.concurrency or 1
  if math.type(w.concurrency) ~= "integer" or w.concurrency < 1 then argerr("field 'concurrency': an integer >= 1 expected") end
  w.think = w.concurrency / w.rate
  w.timeout = field("timeout", dsim.duration, opts.timeout or "1s")
  w.start = field("start", dsim.duration, opts.start or 0)
  w.stop = opts.stop ~= nil and field("stop", dsim.duration, opts.stop) or nil
  w.keys = opts.keys or 3
  if math.type(w.keys) ~= "integer" or w.keys < 1 then argerr("field 'keys': an integer >= 1 expected") end
  if K.final then
    if not w.stop then argerr("field 'stop' is required for the " .. kind .. " workload (its final reads follow it)") end
    w.final = opts.final ~= nil and field("final", dsim.duration, opts.final) or w.stop + 1
  end
  w.clients = dsim.cluster{ program = client_program(w), count = w.concurrency, name = opts.clients or "c", client = true }
  for _, c in ipairs(w.clients) do w.is_mine[c.name] = true end
  w.reader = w.clients[1].name
  function w.check() return K.check(w, history_of(w)) end
  function w.counts() return count_outcomes(w) end
  if opts.check ~= false then dsim.final("workload " .. kind, w.check) end
  return w
end

return function(opts)
  local ok, result = pcall(build, opts)
  if ok then return result end
  if getmetatable(result) == Invalid then error("bad argument #1 to 'workload' (" .. result.msg .. ")", 2) end
  if type(result) == "string" then error((result:gsub("^[^:]*:%d+: ", "")), 2) end
  error(result, 0)
end
