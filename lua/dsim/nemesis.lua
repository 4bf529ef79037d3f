-- dsim.nemesis: random faults at a rate, drawn from the fault stream
-- (SIM_STREAM_FAULTS), so that changing a node program never reshuffles them.
--
--   dsim.nemesis{ partition = true, crash = true, pause = true, clock = true,
--                 every = "500ms", start = "0s", stop = "5s",
--                 targets = nodes, clock_max = "100ms", drift_max = 1000 }
--
-- Each kind is true (weight 1), a weight (number >= 0) or absent. The nemesis
-- alternates: at each tick (exponential spacing, mean `every`) it undoes the
-- fault it injected last, or else injects a new one of a kind drawn by weight:
--
--     IDLE --tick: inject(kind)--> ACTIVE(kind, victim) --tick or stop: undo--> IDLE
--
--   partition  a random split of the targets into two groups;  undo: dsim.heal()
--              (heal also removes the scenario's own cuts)
--   crash      one target that is up;                           undo: restart it
--   pause      one target that is up;                           undo: resume it
--   clock      one target's clock jumps by up to +-clock_max and drifts by up to
--              +-drift_max ppm;                                 undo: skew 0, 0
--
-- Targets default to every node that is not a workload client. At `stop` the
-- active fault is undone and the nemesis ends. Returns a table: n.faults (how
-- many were injected) and n:stop().
local dsim, internal = ...

local KINDS = { "partition", "crash", "pause", "clock" }
local KNOWN = { partition = 1, crash = 1, pause = 1, clock = 1, every = 1, start = 1, stop = 1,
                targets = 1, clock_max = 1, drift_max = 1 }

-- Validation errors travel as an Invalid table to the entry point, which turns
-- them into "bad argument #1 to 'nemesis' (...)" at the scenario's line.
local Invalid = {}
local function argerr(msg) error(setmetatable({ msg = msg }, Invalid), 0) end

local function field(name, conv, value)
  local ok, v = pcall(conv, value)
  if not ok then argerr("field '" .. name .. "': " .. (tostring(v):match("%((.*)%)$") or tostring(v))) end
  return v
end

local function pick(list, status)
  local ok = {}
  for _, n in ipairs(list) do if n.status == status then ok[#ok + 1] = n end end
  if #ok == 0 then return nil end
  return ok[internal.fault_random(#ok)]
end

local inject = {}

function inject.partition(n)
  local t = {}
  for i, node in ipairs(n.targets) do t[i] = node end
  if #t < 2 then return nil end
  for i = #t, 2, -1 do
    local j = internal.fault_random(i)
    t[i], t[j] = t[j], t[i]
  end
  local k = internal.fault_random(#t - 1)
  local a, b = {}, {}
  for i, node in ipairs(t) do if i <= k then a[#a + 1] = node else b[#b + 1] = node end end
  dsim.partition(a, b)
  return function() dsim.heal() end
end

function inject.crash(n)
  local victim = pick(n.targets, "up")
  if not victim then return nil end
  dsim.crash(victim)
  return function() if victim.status == "down" then dsim.restart(victim) end end
end

function inject.pause(n)
  local victim = pick(n.targets, "up")
  if not victim then return nil end
  dsim.pause(victim)
  return function() if victim.status == "paused" then dsim.resume(victim) end end
end

function inject.clock(n)
  local victim = n.targets[internal.fault_random(#n.targets)]
  local max_us = math.floor(n.clock_max * 1e6)
  local off_us = internal.fault_random(-max_us, max_us)
  local offset = (off_us < 0 and "-" or "") .. math.abs(off_us) .. "us"
  local drift = n.drift_max > 0 and internal.fault_random(-n.drift_max, n.drift_max) or 0
  dsim.skew(victim, offset, drift)
  return function() dsim.skew(victim, 0, 0) end
end

local function draw_kind(n)
  local r = internal.fault_random() * n.total
  for _, kind in ipairs(KINDS) do
    r = r - n.weights[kind]
    if r < 0 and n.weights[kind] > 0 then return kind end
  end
  for i = #KINDS, 1, -1 do if n.weights[KINDS[i]] > 0 then return KINDS[i] end end
end

local function targets_of(opts)
  local list = {}
  if opts.targets ~= nil then
    if type(opts.targets) ~= "table" then argerr("field 'targets': a list of nodes expected") end
    for i, node in ipairs(opts.targets) do list[i] = field("targets", dsim.node, node) end
  else
    for _, node in ipairs(dsim.nodes()) do
      if not internal.is_client(node) then list[#list + 1] = node end
    end
  end
  if #list == 0 then argerr("no nodes to target") end
  return list
end

local function weights_of(opts)
  local weights, total = {}, 0
  for _, kind in ipairs(KINDS) do
    local v = opts[kind]
    if v == true then v = 1 elseif v == nil or v == false then v = 0 end
    if type(v) ~= "number" or v < 0 then argerr("field '" .. kind .. "': true, false or a weight >= 0 expected") end
    weights[kind] = v
    total = total + v
  end
  if total <= 0 then argerr("no fault enabled (partition, crash, pause, clock)") end
  return weights, total
end

local function build(opts)
  if type(opts) ~= "table" then argerr("table expected, got " .. type(opts)) end
  for k in pairs(opts) do
    if not KNOWN[k] then argerr("unknown option '" .. tostring(k) .. "'") end
  end
  local n = { faults = 0, active = nil, stopped = false }
  n.weights, n.total = weights_of(opts)
  n.targets = targets_of(opts)
  n.every = field("every", dsim.duration, opts.every or "1s")
  if n.every <= 0 then argerr("field 'every': must be > 0") end
  local start = field("start", dsim.duration, opts.start or 0)
  n.stop_at = opts.stop ~= nil and field("stop", dsim.duration, opts.stop) or nil
  n.clock_max = field("clock_max", dsim.duration, opts.clock_max or "100ms")
  n.drift_max = opts.drift_max or 1000
  if math.type(n.drift_max) ~= "integer" or n.drift_max < 0 then argerr("field 'drift_max': an integer >= 0 expected") end
  local spacing = dsim.exponential(dsim.s(n.every))

  local function undo()
    if n.active then n.active() end
    n.active = nil
  end
  function n.stop()
    undo()
    n.stopped = true
  end
  local function tick()
    if n.stopped then return end
    if n.stop_at and dsim.now() >= n.stop_at then return n.stop() end
    if n.active then
      undo()
    else
      n.active = inject[draw_kind(n)](n)
      if n.active then n.faults = n.faults + 1 end
    end
    local next_at = dsim.now() + internal.fault_draw(spacing)
    if n.stop_at and next_at > n.stop_at then next_at = n.stop_at end
    dsim.at(dsim.s(next_at), tick)
  end
  dsim.at(dsim.s(start + internal.fault_draw(spacing)), tick)
  return n
end

return function(opts)
  local ok, result = pcall(build, opts)
  if ok then return result end
  if getmetatable(result) == Invalid then error("bad argument #1 to 'nemesis' (" .. result.msg .. ")", 2) end
  if type(result) == "string" then error((result:gsub("^[^:]*:%d+: ", "")), 2) end
  error(result, 0)
end
