-- dsim.actors: Erlang-style processes on Lua nodes. Many isolated processes per
-- node share nothing and talk only by messages; a pid names its node, so a
-- process on another machine is sent to exactly like a local one, over the
-- simulated network with its faults. Links, monitors and trap_exit carry
-- failures between processes; a node that stops answering (crashed or cut off)
-- is a node that died: its processes' links fire with reason "noconnection".
--
--   local actors = require "dsim.actors"
--   actors.define("pong", function() ... end)         -- code every node knows
--   local prog = actors.program{ boot = "main" }      -- a Lua node program
--   dsim.cluster{ program = prog, count = 3 }
--
-- Inside a process (all functions of this module):
--   spawn(fn or name, ...)  spawn_on(node, name, ...)  spawn_link(...)  self()
--   send(pid or registered name, msg)   receive{ TYPE = fn, ..., after = "1s", timeout = fn }
--   link(pid) unlink(pid) monitor(pid) -> ref  demonitor(ref)  trap_exit(on)  exit(reason) / exit(pid, reason)
--   register(name, pid) whereis(name)  sleep(d)  now()  node()  send_node(node, msg)
-- Messages from outside (workload clients) reach the node's boot process as
-- {type = "external", from = NODE, msg = MSG}.
-- Messages are tables with a `type` field (or any value, matched by `any`):
-- receive runs the clause of the first message in the mailbox that has one,
-- leaving the others where they are (a selective receive, as in Erlang).
--
-- The state machine of a process:
--
--   RUNNABLE --slice--> RUNNING --receive, no match--> WAITING --message or after--> RUNNABLE
--                          | spent its reductions: back of the run queue
--                          +--returns or errors--> DEAD (links and monitors notified)
--
-- Invariants: (1) scheduling is a FIFO run queue per node, each process runs
-- until it blocks or spends SLICE reductions, so the order is the same in
-- every run for a seed; (2) messages from one process to another arrive in the
-- order sent (per pair of nodes: sequence numbers, a gap is waited for, then
-- given up on when the link is declared dead); (3) a process that dies with a
-- reason other than "normal" kills every linked process that does not trap
-- exits; a monitor always gets one DOWN.
local dsim, internal = ...

local actors = {}
local SLICE = 20                         -- reductions (of 1,000 Lua instructions) per slice
local SLICES_PER_CALL = 100              -- slices one handler call runs before yielding the node
local SLICE_TIME_US = 20                 -- simulated CPU time of a slice: a busy node takes time
local HEARTBEAT, DEAD_AFTER = "100ms", 0.5   -- DEAD_AFTER in seconds (self:now())
local defined = {}                       -- name -> function: code every node has
local current                            -- the running process (a table), or nil

local function fail(fmt, ...) error(string.format(fmt, ...), 3) end

function actors.define(name, fn)
  if type(name) ~= "string" or type(fn) ~= "function" then fail("actors.define(name, function) expected") end
  defined[name] = fn
end

local function node_of(pid) return (string.match(pid, "^(.-)/") ) end

-- ---- the node: processes, run queue, network ----

local function rt_of_current()
  if not current then fail("this function runs inside a process (spawned by actors)") end
  return current.rt
end

local function enqueue(rt, p)
  if p.queued or p.dead then return end
  p.queued = true
  rt.runq[#rt.runq + 1] = p
end

local function deliver_local(rt, pid, msg)
  local p = rt.procs[pid]
  if not p or p.dead then return end
  p.mailbox[#p.mailbox + 1] = msg
  if p.waiting then p.waiting = false; enqueue(rt, p) end
end

local function wire(rt, to_node, kind, fields)
  local link = rt.out[to_node]
  if not link then link = { seq = 0 }; rt.out[to_node] = link end
  link.seq = link.seq + 1
  fields.type, fields.kind, fields.seq, fields.epoch = "actor", kind, link.seq, rt.epoch
  rt.node:send(to_node, fields)
end

local exit_process                       -- forward

local function signal_exit(rt, pid, from, reason)
  local p = rt.procs[pid]
  if not p or p.dead then return end
  p.links[from] = nil
  if p.trap then
    deliver_local(rt, pid, { type = "EXIT", from = from, reason = reason })
  elseif reason ~= "normal" then
    exit_process(rt, p, reason)
  end
end

local function signal_down(rt, pid, ref, from, reason)
  local p = rt.procs[pid]
  if not p or p.dead or not p.monitors_out[ref] then return end
  p.monitors_out[ref] = nil
  deliver_local(rt, pid, { type = "DOWN", ref = ref, pid = from, reason = reason })
end

-- A signal to pid, wherever it lives.
local function send_signal(rt, kind, pid, fields)
  local n = node_of(pid)
  if n == rt.name then
    if kind == "msg" then deliver_local(rt, pid, fields.msg)
    elseif kind == "exit" then signal_exit(rt, pid, fields.from, fields.reason)
    elseif kind == "down" then signal_down(rt, pid, fields.ref, fields.from, fields.reason)
    elseif kind == "link" then
      local p = rt.procs[pid]
      if p and not p.dead then p.links[fields.from] = true
      else send_signal(rt, "exit", fields.from, { from = pid, reason = "noproc" }) end
    elseif kind == "unlink" then
      local p = rt.procs[pid]
      if p then p.links[fields.from] = nil end
    elseif kind == "monitor" then
      local p = rt.procs[pid]
      if p and not p.dead then p.monitors_in[fields.ref] = fields.from
      else send_signal(rt, "down", fields.from, { ref = fields.ref, from = pid, reason = "noproc" }) end
    elseif kind == "demonitor" then
      local p = rt.procs[pid]
      if p then p.monitors_in[fields.ref] = nil end
    end
  elseif rt.down[n] then
    if kind == "link" then send_signal(rt, "exit", fields.from, { from = pid, reason = "noconnection" })
    elseif kind == "monitor" then send_signal(rt, "down", fields.from, { ref = fields.ref, from = pid, reason = "noconnection" }) end
  else
    fields.to = pid
    wire(rt, n, kind, fields)
  end
end

exit_process = function(rt, p, reason)
  if p.dead then return end
  p.dead, p.reason = true, reason
  rt.procs[p.pid] = nil
  for name, pid in pairs(rt.names) do if pid == p.pid then rt.names[name] = nil end end
  for pid in pairs(p.links) do send_signal(rt, "exit", pid, { from = p.pid, reason = reason }) end
  for ref, watcher in pairs(p.monitors_in) do
    send_signal(rt, "down", watcher, { ref = ref, from = p.pid, reason = reason })
  end
  if p.timer then rt.node:cancel_timer(p.timer) end
  rt.node:log(p.pid .. " exited: " .. tostring(reason))
end

local function new_pid(rt)
  rt.next_pid = rt.next_pid + 1
  return rt.name .. "/" .. rt.next_pid
end

local function spawn_here(rt, fn, args, link_to)
  if type(fn) == "string" then
    local f = defined[fn]
    if not f then fail("no function '%s' defined (actors.define)", fn) end
    fn = f
  end
  local p = { pid = new_pid(rt), rt = rt, mailbox = {}, links = {}, monitors_in = {}, monitors_out = {},
              co = coroutine.create(fn), args = args }
  rt.procs[p.pid] = p
  if link_to then
    p.links[link_to] = true
    if node_of(link_to) == rt.name and rt.procs[link_to] then rt.procs[link_to].links[p.pid] = true end
  end
  enqueue(rt, p)
  return p.pid
end

-- Runs queued processes, SLICES_PER_CALL slices at most, then yields the node.
local function schedule(rt)
  local slices = 0
  while #rt.runq > 0 do
    if slices >= SLICES_PER_CALL then
      rt.node:set_timer("actors:run", (slices * SLICE_TIME_US) .. "us")
      return
    end
    local p = table.remove(rt.runq, 1)
    p.queued = false
    if not p.dead then
      current = p
      local res = table.pack(internal.run_slice(p.co, SLICE, table.unpack(p.args or {})))
      current, p.args = nil, nil
      slices = slices + 1
      if res[1] == "preempted" then enqueue(rt, p)
      elseif res[1] == "yield" then p.waiting = true
      elseif res[1] == "done" then exit_process(rt, p, "normal")
      else exit_process(rt, p, type(res[2]) == "table" and res[2].exit or tostring(res[2])) end
    end
  end
end

-- ---- receive ----

local function match(clauses, msg)
  local t = type(msg) == "table" and msg.type or nil
  if t ~= nil and type(clauses[t]) == "function" then return clauses[t] end
  return clauses.any
end

function actors.receive(clauses)
  local p = current
  if not p then fail("receive runs inside a process") end
  local deadline_timer
  if clauses.after ~= nil then
    p.rt.timers = p.rt.timers + 1
    deadline_timer = "actors:after:" .. p.pid .. ":" .. p.rt.timers
    p.timer, p.timed_out = deadline_timer, false
    p.rt.node:set_timer(deadline_timer, clauses.after)
  end
  while true do
    for i, msg in ipairs(p.mailbox) do
      local fn = match(clauses, msg)
      if fn then
        table.remove(p.mailbox, i)
        if deadline_timer then p.rt.node:cancel_timer(deadline_timer); p.timer = nil end
        return fn(msg)
      end
    end
    if p.timed_out then
      p.timer, p.timed_out = nil, false
      return clauses.timeout and clauses.timeout() or nil
    end
    coroutine.yield()
  end
end

function actors.sleep(d) return actors.receive{ after = d } end

-- ---- the process API ----

function actors.self() return rt_of_current() and current.pid end
function actors.node() return rt_of_current().name end
function actors.now() return rt_of_current().node:now() end

function actors.spawn(fn, ...)
  return spawn_here(rt_of_current(), fn, table.pack(...))
end

function actors.spawn_link(fn, ...)
  local rt = rt_of_current()
  local pid = spawn_here(rt, fn, table.pack(...), current.pid)
  current.links[pid] = true
  return pid
end

function actors.spawn_on(node, name, ...)
  local rt = rt_of_current()
  if type(name) ~= "string" then fail("spawn_on(node, name, ...): a function defined with actors.define") end
  if node == rt.name then return spawn_here(rt, name, table.pack(...)) end
  rt.spawns = rt.spawns + 1
  local ref = rt.name .. "#spawn" .. rt.spawns
  send_signal(rt, "spawn", node .. "/0", { name = name, args = { ... }, from = current.pid, ref = ref })
  return actors.receive{ spawned = function(m) if m.ref == ref then return m.pid end end,
                         after = "1s", timeout = function() return nil end }
end

function actors.send(to, msg)
  local rt = rt_of_current()
  if type(to) == "string" and not node_of(to) then
    local pid = rt.names[to]
    if not pid then fail("no process registered as '%s'", to) end
    to = pid
  end
  if type(to) ~= "string" then fail("send(pid, msg): a pid expected") end
  send_signal(rt, "msg", to, { msg = msg })
  return msg
end

function actors.link(pid)
  local rt = rt_of_current()
  current.links[pid] = true
  send_signal(rt, "link", pid, { from = current.pid })
end

function actors.unlink(pid)
  local rt = rt_of_current()
  current.links[pid] = nil
  send_signal(rt, "unlink", pid, { from = current.pid })
end

function actors.monitor(pid)
  local rt = rt_of_current()
  rt.refs = rt.refs + 1
  local ref = rt.name .. "#" .. rt.refs
  current.monitors_out[ref] = pid
  send_signal(rt, "monitor", pid, { from = current.pid, ref = ref })
  return ref
end

function actors.demonitor(ref)
  local rt = rt_of_current()
  local pid = current.monitors_out[ref]
  current.monitors_out[ref] = nil
  if pid then send_signal(rt, "demonitor", pid, { ref = ref }) end
end

function actors.trap_exit(on) rt_of_current(); current.trap = on and true or false end

function actors.exit(a, b)
  local rt = rt_of_current()
  if b == nil then error({ exit = a or "normal" }) end
  send_signal(rt, "exit", a, { from = current.pid, reason = b })
end

function actors.register(name, pid)
  local rt = rt_of_current()
  if rt.names[name] then fail("'%s' is already registered", name) end
  rt.names[name] = pid or current.pid
end

function actors.whereis(name) return rt_of_current().names[name] end

-- Makes value visible to the scenario as h.state.published[key] (the node's
-- state; processes have no other way out to the scenario).
function actors.publish(key, value) rt_of_current().node.published[key] = value end

-- A plain node message to a node that runs no actors (a workload client).
function actors.send_node(node, msg) rt_of_current().node:send(node, msg) end

-- ---- the node program ----

local function on_wire(rt, from, m)
  if m.kind == "spawn" then
    local ok, pid = pcall(spawn_here, rt, m.name, m.args)
    send_signal(rt, "msg", m.from, { msg = { type = "spawned", ref = m.ref, pid = ok and pid or nil } })
  else
    send_signal(rt, m.kind, m.to, m)
  end
end

-- In-order delivery per pair of nodes: a message waits for the ones sent before it.
local function receive_wire(rt, from, m)
  local inl = rt.inn[from]
  if not inl or inl.epoch ~= m.epoch then inl = { epoch = m.epoch, next = 1, held = {} }; rt.inn[from] = inl end
  if m.seq < inl.next then return end                    -- a duplicate
  inl.held[m.seq] = m
  while inl.held[inl.next] do
    local msg = inl.held[inl.next]
    inl.held[inl.next], inl.next = nil, inl.next + 1
    on_wire(rt, from, msg)
  end
end

local function node_down(rt, n)
  rt.down[n] = true
  rt.inn[n], rt.out[n] = nil, nil
  for _, p in pairs(rt.procs) do
    for pid in pairs(p.links) do
      if node_of(pid) == n then signal_exit(rt, p.pid, pid, "noconnection") end
    end
    for ref, pid in pairs(p.monitors_out) do
      if node_of(pid) == n then signal_down(rt, p.pid, ref, pid, "noconnection") end
    end
    for ref, watcher in pairs(p.monitors_in) do
      if node_of(watcher) == n then p.monitors_in[ref] = nil end
    end
  end
end

-- opts.boot: the name of a defined function that each node runs as its first
-- process (its pid is "<node>/1"), with the node's name as argument.
function actors.program(opts)
  if type(opts) ~= "table" or type(opts.boot) ~= "string" then
    error("actors.program{ boot = NAME }: NAME of a function given to actors.define", 2)
  end
  local prog = {}
  function prog.start(self, disk)
    disk.epoch = (disk.epoch or 0) + 1
    self:sync()
    local rt = { node = self, name = self.name, procs = {}, runq = {}, names = {}, next_pid = 0, refs = 0,
                 timers = 0, spawns = 0, out = {}, inn = {}, down = {}, heard = {}, epoch = disk.epoch }
    self.actors = rt
    self.published = {}
    for _, peer in ipairs(self:peers()) do rt.heard[peer] = self:now() end
    spawn_here(rt, opts.boot, { self.name })
    self:set_timer("actors:heartbeat", HEARTBEAT)
    schedule(rt)
  end
  function prog.receive(self, from, msg)
    local rt = self.actors
    if msg.type == "actor" or msg.type == "actor_hb" then
      rt.heard[from] = self:now()
      if rt.down[from] then rt.down[from] = nil end        -- back: a new connection, old links stay broken
      if msg.type == "actor" then receive_wire(rt, from, msg) end
    else
      local boot = rt.procs[rt.name .. "/1"]
      if boot then deliver_local(rt, boot.pid, { type = "external", from = from, msg = msg }) end
    end
    schedule(rt)
  end
  function prog.timer(self, name)
    local rt = self.actors
    if name == "actors:heartbeat" then
      for _, peer in ipairs(self:peers()) do
        self:send(peer, { type = "actor_hb" })
        if not rt.down[peer] and self:now() - (rt.heard[peer] or 0) > DEAD_AFTER then node_down(rt, peer) end
      end
      self:set_timer("actors:heartbeat", HEARTBEAT)
    elseif string.sub(name, 1, 13) == "actors:after:" then
      for _, p in pairs(rt.procs) do
        if p.timer == name then p.timed_out = true; if p.waiting then p.waiting = false; enqueue(rt, p) end end
      end
    end
    schedule(rt)
  end
  function prog.stop(self) current = nil end
  return prog
end

return actors
