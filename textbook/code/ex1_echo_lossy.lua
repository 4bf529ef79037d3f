-- Exercise 1: echo over a network that loses half of all messages. As it is,
-- the client asks once and often never hears back. Make the client ask again
-- every 20ms until the echo arrives (self:set_timer, a timer handler, and
-- self:cancel_timer). Only the client may change; the checks stay as they are.
local dsim = require "dsim"

local server = {}                           -- a node program: a table of handlers
function server.receive(self, from, msg)
  if msg.type == "echo" then
    self:send(from, { type = "echo_ok", text = msg.text })
  end
end

local client = {}
function client.start(self)
  self.replies = {}
end
function client.receive(self, from, msg)
  if msg.type == "say" then                 -- from the scenario: ask the server
    self:send("s1", { type = "echo", text = msg.text })
  elseif msg.type == "echo_ok" then         -- the server's answer
    self.replies[#self.replies + 1] = msg.text
  end
end

dsim.network{ latency = "5ms", loss = "50%" }
dsim.cluster{ program = server, name = "s" }             -- one node, named s1
local c = dsim.cluster{ program = client, name = "c" }   -- one node, named c1
dsim.at("10ms", function() c[1]:inject{ type = "say", text = "hello" } end)
dsim.run("1s")

local replies = c[1].state.replies
dsim.assert("the client got its echo", replies[1] == "hello", dsim.encode(replies))
