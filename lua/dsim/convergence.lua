-- dsim.convergence: the eventual-consistency check. After the network heals
-- and writes stop (quiescence), every replica of every key must hold the same
-- value at the same version.
--
--   local conv = require "dsim.convergence"
--   local probe = conv.probe{ nodes = servers, at = "6s" }   -- a named final check
--   ... dsim.run("7s")  -- the check "eventual consistency" runs at the end
--   local ok, msg = probe.check()                             -- or ask it yourself
--
-- The probe is a client node (so partitions leave it alone) that, at `at`,
-- asks each server in turn for its contents with {type="dump"}, retrying a
-- server that does not answer within `timeout` (default 50ms) up to 5 times.
-- A server answers {type="dump_ok", entries={{key=K, value=V, version=S,
-- replicas={names}}, ...}}; `replicas` names the nodes that must hold K (when
-- absent: every probed server). The store's messages are the only way in: the
-- probe reads no node's memory, so a Lua student store can answer it too.
--
-- conv.compare(dumps) is the pure check: dumps maps a server name to its
-- entries (nil: it never answered); it returns ok, message.
local dsim = ...
local M = {}

local function show(e) return e and (dsim.encode(e.value) .. " (version " .. tostring(e.version) .. ")") or "nothing" end

function M.compare(dumps, servers)
  local holders, keys, order = {}, {}, {}
  for _, name in ipairs(servers) do
    for _, e in ipairs(dumps[name] or {}) do
      local k = dsim.encode(e.key)
      if not keys[k] then keys[k] = e.replicas or servers; order[#order + 1] = k end
      holders[name .. "\0" .. k] = e
    end
  end
  table.sort(order)
  for _, name in ipairs(servers) do
    if not dumps[name] then return false, name .. " never answered the dump" end
  end
  for _, k in ipairs(order) do
    local first, first_name
    for _, r in ipairs(keys[k]) do
      local e = holders[r .. "\0" .. k]
      if not first_name then first, first_name = e, r
      elseif (e == nil) ~= (first == nil) or (e and (e.version ~= first.version or dsim.encode(e.value) ~= dsim.encode(first.value))) then
        return false, "key " .. k .. ": " .. first_name .. " holds " .. show(first) .. ", " .. r .. " holds " .. show(e)
      end
    end
  end
  return true, #order .. " keys, every replica holds the same version"
end

local function prober(p)
  local P = {}
  local function ask(self)
    local target = p.servers[self.i]
    if not target then p.done = true; return end
    self.msg_id = self.msg_id + 1
    self:send(target, { type = "dump", msg_id = self.msg_id })
    self:set_timer("retry", dsim.s(p.timeout))
  end
  function P.start(self)
    self.i, self.tries, self.msg_id = 1, 0, 0
    self:set_timer("go", dsim.s(math.max(0, p.at - self:now())))
  end
  function P.timer(self, name)
    if name == "go" then return ask(self) end
    self.tries = self.tries + 1
    if self.tries >= 5 then self.i, self.tries = self.i + 1, 0 end
    ask(self)
  end
  function P.receive(self, from, msg)
    if msg.type ~= "dump_ok" or msg.in_reply_to ~= self.msg_id or from ~= p.servers[self.i] then return end
    self:cancel_timer("retry")
    p.dumps[from] = msg.entries or {}
    self.i, self.tries = self.i + 1, 0
    ask(self)
  end
  return P
end

function M.probe(opts)
  if type(opts) ~= "table" or type(opts.nodes) ~= "table" or #opts.nodes == 0 then
    error("bad argument #1 to 'probe' (a table with nodes = {servers...} expected)", 2)
  end
  local p = { servers = {}, dumps = {}, done = false }
  for i, n in ipairs(opts.nodes) do p.servers[i] = dsim.node(n).name end
  p.at = dsim.duration(opts.at or error("bad argument #1 to 'probe' (field 'at' is required)", 2))
  p.timeout = dsim.duration(opts.timeout or "50ms")
  dsim.cluster{ program = prober(p), name = opts.name_prefix or "probe", client = true }
  function p.check()
    if not p.done then return false, "the probe has not finished (run longer after 'at')" end
    return M.compare(p.dumps, p.servers)
  end
  if opts.check ~= false then dsim.final(opts.name or "eventual consistency", p.check) end
  return p
end

return M
