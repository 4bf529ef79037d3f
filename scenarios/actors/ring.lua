-- The Erlang ring: N processes in a ring on one node pass a token M times
-- around; then the same ring spread over three nodes, where every hop that
-- crosses nodes is a network message. Same code, same answer: to a process, a
-- remote pid is just another mailbox.
local dsim = require "dsim"
local actors = require "dsim.actors"

local N, LAPS = 50, 20

actors.define("relay", function(next_pid)
  while true do
    local done = actors.receive{
      token = function(m) actors.send(next_pid, { type = "token", hops = m.hops + 1 }) end,
      stop = function() return true end,
    }
    if done then return end
  end
end)

-- The boot process of n1 builds the ring (spread over `nodes`) and counts laps.
actors.define("main", function(node_name)
  if node_name ~= "n1" then return end
  local nodes = { "n1", "n2", "n3" }
  local first = actors.self()
  local prev = first
  local members = {}
  for i = N, 1, -1 do
    local where = nodes[(i % #nodes) + 1]
    prev = where == "n1" and actors.spawn("relay", prev) or actors.spawn_on(where, "relay", prev)
    members[#members + 1] = prev
  end
  actors.send(prev, { type = "token", hops = 0 })
  local hops
  for lap = 1, LAPS do
    hops = actors.receive{ token = function(m) return m.hops end, after = "10s" }
    if not hops then break end
    if lap < LAPS then actors.send(prev, { type = "token", hops = hops }) end
  end
  for _, pid in ipairs(members) do actors.send(pid, { type = "stop" }) end
  actors.publish("result", { hops = hops, at = actors.now() })
end)

dsim.network{ latency = "1ms" }
local nodes = dsim.cluster{ program = actors.program{ boot = "main" }, count = 3 }
dsim.run("5s")
local result = nodes[1].state.published.result
dsim.check("the token went round every lap", result and result.hops == N * LAPS,
  result and (result.hops .. " hops in " .. result.at .. " s") or "no result")
