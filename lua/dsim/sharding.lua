-- dsim.sharding: the scenario side of the sharding chapter.
--
--   local S = require "dsim.sharding"
--   S.hash(text)                    FNV-1a 64 + splitmix64 finaliser, as shard_map.c
--   S.layout(scheme, n, vnodes)     "range" | "modulo" | "ring"; S.owner(l, key) -> 1..n
--   S.zipf(n, s)                    a sampler: f(u) with u uniform in [0,1) -> 1..n
--   S.initial()                     a surname initial drawn by real frequencies
--   S.imbalance(counts)             max/mean, and the index of the hot shard
--   S.ring_shares(n, vnodes)        the fraction of the ring each server owns
--   S.client{servers=, route=, concurrency=, name=}
--                                   one client node that runs queued requests
--                                   (c:push{key=, msg=} or {to=, msg=}, then
--                                   c:kick()), routing a keyed request itself
--                                   when route is a layout (a client-side
--                                   router), else to a random server; every
--                                   reply and its latency are kept on the op.
--
-- The hash and layouts must agree with sim/systems/shard_kv/shard_map.c bit for bit: a
-- client routing with them sees every request served where it sent it (the
-- scenarios check the nodes' forwarded counts are 0).
local dsim = ...
local S = {}

function S.hash(text)
  local h = 0xcbf29ce484222325
  for i = 1, #text do h = (h ~ text:byte(i)) * 0x100000001b3 end
  h = (h ~ (h >> 30)) * 0xbf58476d1ce4e5b9
  h = (h ~ (h >> 27)) * 0x94d049bb133111eb
  return h ~ (h >> 31)
end

function S.key_text(key)
  if type(key) == "string" then return key end
  return dsim.encode(key)
end

local function before(a, b)            -- ring points by (at unsigned, shard)
  if a.at ~= b.at then return math.ult(a.at, b.at) end
  return a.shard < b.shard
end

function S.layout(scheme, n, vnodes)
  local l = { scheme = scheme, n = n, vnodes = vnodes or 64 }
  if scheme == "ring" then
    local pts = {}
    for s = 0, n - 1 do
      for v = 0, l.vnodes - 1 do pts[#pts + 1] = { at = S.hash("s" .. s .. "#" .. v), shard = s } end
    end
    table.sort(pts, before)
    l.points = pts
  elseif scheme ~= "range" and scheme ~= "modulo" then
    error("unknown scheme '" .. tostring(scheme) .. "' (range, modulo, ring)", 2)
  end
  return l
end

function S.owner(l, key)
  local t = S.key_text(key)
  if l.scheme == "range" then
    local c = t:byte(1) or 0
    local idx = (c >= 97 and c <= 122) and c - 97 or (c >= 65 and c <= 90) and c - 65 or c % 26
    return idx * l.n // 26 + 1
  end
  local h = S.hash(t)
  if l.scheme == "modulo" then return (h >> 1) % l.n + 1 end
  local pts, lo, hi = l.points, 1, #l.points + 1          -- first point with at >= h
  while lo < hi do
    local mid = (lo + hi) // 2
    if math.ult(pts[mid].at, h) then lo = mid + 1 else hi = mid end
  end
  return (pts[lo] or pts[1]).shard + 1
end

function S.zipf(n, s)
  local cdf, sum = {}, 0
  for k = 1, n do sum = sum + 1 / k ^ s; cdf[k] = sum end
  return function(u)
    local x, lo, hi = u * sum, 1, n
    while lo < hi do
      local mid = (lo + hi) // 2
      if cdf[mid] < x then lo = mid + 1 else hi = mid end
    end
    return lo
  end
end

-- Surname initials in per mille, roughly as in the US census list: many more
-- names start with S, M, B, C than with Q, X, Z.
S.INITIALS = { A = 35, B = 90, C = 75, D = 45, E = 19, F = 36, G = 52, H = 76, I = 4, J = 26, K = 40,
               L = 50, M = 95, N = 18, O = 14, P = 50, Q = 2, R = 58, S = 100, T = 36, U = 2, V = 16,
               W = 57, X = 1, Y = 5, Z = 3 }
local LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

function S.initial(u)
  local total = 0
  for i = 1, 26 do total = total + S.INITIALS[LETTERS:sub(i, i)] end
  local x = u * total
  for i = 1, 26 do
    local c = LETTERS:sub(i, i)
    x = x - S.INITIALS[c]
    if x < 0 then return c end
  end
  return "Z"
end

function S.imbalance(counts)
  local sum, max, hot = 0, -1, 0
  for i, c in ipairs(counts) do
    sum = sum + c
    if c > max then max, hot = c, i end
  end
  return max / (sum / #counts), hot
end

-- The share of the ring (0..1) each of n servers owns with `vnodes` points each.
function S.ring_shares(n, vnodes)
  local pts, share = S.layout("ring", n, vnodes).points, {}
  for s = 1, n do share[s] = 0 end
  for i, p in ipairs(pts) do
    local prev = pts[i - 1] or pts[#pts]
    local arc = p.at - prev.at                    -- wraps mod 2^64, as an arc should
    if #pts == 1 then arc = 0 end
    share[p.shard + 1] = share[p.shard + 1] + (arc >> 11) * 2.0 ^ -53
  end
  return share
end

function S.client(o)
  local c = { queue = {}, next = 1, done = 0, inflight = 0, names = {}, route = o.route,
              concurrency = o.concurrency or 1 }
  for i, s in ipairs(o.servers) do c.names[i] = s.name end
  local P = {}
  local function issue(self)
    while c.inflight < c.concurrency and c.queue[c.next] do
      local op = c.queue[c.next]
      c.next = c.next + 1
      local to = op.to or (c.route and op.key ~= nil and c.names[S.owner(c.route, op.key)])
                 or c.names[self:random(#c.names)]
      self.msg_id = self.msg_id + 1
      op.msg.msg_id, op.t0, op.sent_to = self.msg_id, self:now(), to
      self.pending[self.msg_id] = op
      c.inflight = c.inflight + 1
      self:send(to, op.msg)
    end
  end
  function P.start(self) self.msg_id, self.pending = 0, {} end
  function P.receive(self, from, msg)
    if msg.type == "kick" then return issue(self) end
    local op = self.pending[msg.in_reply_to]
    if not op then return end
    self.pending[msg.in_reply_to] = nil
    op.reply, op.latency_ms = msg, (self:now() - op.t0) * 1000
    c.inflight, c.done = c.inflight - 1, c.done + 1
    issue(self)
  end
  c.node = dsim.cluster{ program = P, count = 1, name = o.name or "router" }[1]
  function c.push(op) c.queue[#c.queue + 1] = op; return op end
  function c.kick() c.node:inject{ type = "kick" } end
  -- Asks every server for its counters; returns the list of ops (op.reply after the run).
  function c.ask_stats(servers)
    local ops = {}
    for i, s in ipairs(servers) do ops[i] = c.push{ to = s.name, msg = { type = "stats" } } end
    c.kick()
    return ops
  end
  return c
end

function S.sum(ops, field)
  local n = 0
  for _, op in ipairs(ops) do n = n + (op.reply and op.reply[field] or 0) end
  return n
end

function S.column(ops, field)
  local out = {}
  for i, op in ipairs(ops) do out[i] = op.reply and op.reply[field] or 0 end
  return out
end

return S
