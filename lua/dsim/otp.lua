-- dsim.otp: Erlang/OTP's two workhorse behaviours on dsim.actors.
--
-- gen_server: a process that owns a state and serves requests one at a time.
--   local pid = otp.gen_server.start(mod, arg, { name = "kv" })   (or otp.gen_server.serve(mod, arg, name)
--     as the body of a function given to actors.define, to start it with spawn_on)
--     mod.init(arg) -> state
--     mod.handle_call(request, from, state) -> reply, new_state
--     mod.handle_cast(msg, state) -> new_state
--     mod.handle_info(msg, state) -> new_state            (optional)
--   otp.gen_server.call(pid or name, request, timeout) -> reply   (error "timeout" or the
--     server's exit reason when it dies first: a monitor watches it during the call)
--   otp.gen_server.cast(pid or name, msg)
--
-- supervisor: a process that starts children, traps their exits and restarts
-- them by its strategy, within a restart intensity.
--   otp.supervisor.start{ strategy = "one_for_one" | "one_for_all" | "rest_for_one",
--                         intensity = 3, period = "5s", name = "sup",
--                         children = { { id = "kv", start = { "kv_server", arg... },
--                                        restart = "permanent" | "transient" | "temporary" } } }
--   A child runs the function named by start[1] (actors.define). permanent
--   children are always restarted, transient ones only after an abnormal exit,
--   temporary ones never. More than `intensity` restarts within `period` and
--   the supervisor gives up: it exits with reason "shutdown", which its own
--   parent (linked) sees.
local dsim = ...
local actors = require "dsim.actors"
local otp = { gen_server = {}, supervisor = {} }

-- ---- gen_server ----

local function server_loop(mod, arg, name)
  if name then actors.register(name, actors.self()) end
  local state = mod.init(arg)
  while true do
    actors.receive{
      ["$call"] = function(m)
        local reply
        reply, state = mod.handle_call(m.request, m.from, state)
        actors.send(m.from, { type = "$reply", ref = m.ref, reply = reply })
      end,
      ["$cast"] = function(m) state = mod.handle_cast(m.msg, state) end,
      any = function(m) if mod.handle_info then state = mod.handle_info(m, state) end end,
    }
  end
end

actors.define("otp.gen_server", server_loop)

-- Starts a server on this node, linked to the caller.
function otp.gen_server.start(mod, arg, opts)
  opts = opts or {}
  return actors.spawn_link(function() server_loop(mod, arg, opts.name) end)
end

-- The body of a server process, for a function given to actors.define (so that
-- spawn_on can start the server on another node by name).
otp.gen_server.serve = server_loop

function otp.gen_server.call(to, request, timeout)
  if type(to) == "string" and not string.find(to, "/", 1, true) then
    to = actors.whereis(to) or error("no process registered as '" .. to .. "'", 2)
  end
  local ref = actors.monitor(to)
  actors.send(to, { type = "$call", request = request, from = actors.self(), ref = ref })
  local ok, reply = actors.receive{
    ["$reply"] = function(m) if m.ref == ref then return true, m.reply end end,
    DOWN = function(m) if m.ref == ref then return false, m.reason end end,
    after = timeout or "5s",
    timeout = function() return false, "timeout" end,
  }
  actors.demonitor(ref)
  if not ok then error({ exit = reply }) end
  return reply
end

function otp.gen_server.cast(to, msg)
  actors.send(to, { type = "$cast", msg = msg })
end

-- ---- supervisor ----

local STRATEGIES = { one_for_one = true, one_for_all = true, rest_for_one = true }
local RESTARTS = { permanent = true, transient = true, temporary = true }

local function check_spec(spec)
  if not STRATEGIES[spec.strategy or "one_for_one"] then
    error("supervisor strategy '" .. tostring(spec.strategy) .. "' (one_for_one, one_for_all or rest_for_one)", 3)
  end
  for i, c in ipairs(spec.children or {}) do
    if type(c.id) ~= "string" or type(c.start) ~= "table" or type(c.start[1]) ~= "string" then
      error("supervisor child " .. i .. ": { id = NAME, start = { FUNCTION_NAME, args... } }", 3)
    end
    if not RESTARTS[c.restart or "permanent"] then
      error("supervisor child '" .. c.id .. "': restart is permanent, transient or temporary", 3)
    end
  end
end

local function start_child(c)
  c.pid = actors.spawn_link(c.start[1], table.unpack(c.start, 2))
  c.restarts = (c.restarts or 0)
end

local function supervise(spec)
  actors.trap_exit(true)
  if spec.name then actors.register(spec.name, actors.self()) end
  local children = spec.children
  for _, c in ipairs(children) do start_child(c) end
  local history = {}
  local period = dsim.duration(spec.period or "5s")          -- seconds, as actors.now()
  while true do
    actors.receive{ EXIT = function(m)
      local idx
      for i, c in ipairs(children) do if c.pid == m.from then idx = i end end
      if not idx then
        if m.reason ~= "normal" then error({ exit = m.reason }) end   -- the parent died
        return
      end
      local c = children[idx]
      local restart = c.restart or "permanent"
      c.pid = nil
      if restart == "temporary" or (restart == "transient" and m.reason == "normal") then return end
      local now = actors.now()
      history[#history + 1] = now
      local recent = 0
      for _, t in ipairs(history) do if now - t <= period then recent = recent + 1 end end
      if recent > (spec.intensity or 3) then error({ exit = "shutdown" }) end
      local strategy = spec.strategy or "one_for_one"
      local from = strategy == "one_for_all" and 1 or idx
      local to = strategy == "one_for_one" and idx or #children
      for i = from, to do
        local o = children[i]
        if i ~= idx and o.pid then actors.unlink(o.pid); actors.exit(o.pid, "shutdown"); o.pid = nil end
      end
      for i = from, to do
        children[i].restarts = (children[i].restarts or 0) + 1
        start_child(children[i])
      end
      spec.restarts_total = (spec.restarts_total or 0) + 1
      actors.publish("restarts:" .. (spec.name or "sup"), spec.restarts_total)
    end }
  end
end

actors.define("otp.supervisor", supervise)

function otp.supervisor.start(spec)
  check_spec(spec)
  return actors.spawn_link("otp.supervisor", spec)
end

-- The pid of a supervisor's child by id, from inside the supervisor's node.
function otp.supervisor.which_children(spec)
  local out = {}
  for _, c in ipairs(spec.children) do out[#out + 1] = { id = c.id, pid = c.pid, restarts = c.restarts } end
  return out
end

return otp
