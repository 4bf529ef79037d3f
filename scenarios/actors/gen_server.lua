-- gen_server: a key-value server owns its state and serves calls one at a
-- time; a call to a server on another node goes over the network like any
-- message. When the server's node is cut off by a partition, a call fails with
-- the monitor's "noconnection" (or a timeout) instead of hanging: the caller
-- cannot tell a dead node from an unreachable one.
local dsim = require "dsim"
local actors = require "dsim.actors"
local otp = require "dsim.otp"

local kv = {}
function kv.init() return {} end
function kv.handle_call(req, from, state)
  if req.op == "put" then state[req.key] = req.value; return "ok", state end
  return state[req.key], state
end
function kv.handle_cast(msg, state) state[msg.key] = nil; return state end

actors.define("kv_server", function() otp.gen_server.serve(kv, nil, "kv") end)

actors.define("main", function(node)
  if node ~= "n1" then return end
  local server = actors.spawn_on("n2", "kv_server")
  local r = {}
  r.put = otp.gen_server.call(server, { op = "put", key = "x", value = 42 }, "100ms")
  r.get = otp.gen_server.call(server, { op = "get", key = "x" }, "100ms")
  otp.gen_server.cast(server, { key = "x" })
  r.after_cast = otp.gen_server.call(server, { op = "get", key = "x" }, "100ms") or "nil"
  actors.sleep("1s")                                   -- the scenario cuts n2 off at 500ms
  local ok, err = pcall(otp.gen_server.call, server, { op = "get", key = "x" }, "2s")
  r.cut_off = ok and "answered" or (type(err) == "table" and err.exit or tostring(err))
  actors.publish("results", r)
end)

dsim.network{ latency = dsim.uniform("1ms", "5ms") }
local nodes = dsim.cluster{ program = actors.program{ boot = "main" }, count = 2 }
dsim.at("500ms", function() dsim.partition({ "n1" }, { "n2" }) end)
dsim.run("3s")
local r = nodes[1].state.published.results or {}
dsim.check("calls are answered in order", r.put == "ok" and r.get == 42 and r.after_cast == "nil", dsim.encode(r))
dsim.check("a call across a partition fails with noconnection", r.cut_off == "noconnection", tostring(r.cut_off))
