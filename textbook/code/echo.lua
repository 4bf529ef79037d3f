-- Echo: the smallest node program. A client node sends a text to a server
-- node, the server sends it back, and a check asserts that the reply arrived.
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

dsim.network{ latency = "5ms" }
dsim.cluster{ program = server, name = "s" }             -- one node, named s1
local c = dsim.cluster{ program = client, name = "c" }   -- one node, named c1
dsim.at("10ms", function() c[1]:inject{ type = "say", text = "hello" } end)
dsim.run("100ms")

local replies = c[1].state.replies
dsim.assert("the client got its echo", replies[1] == "hello", dsim.encode(replies))
