-- Lab 2: broadcast. Every value a client broadcasts to any node must reach
-- every node, despite lost messages and partitions, with few messages.
--   {type = "broadcast", message = V, msg_id = N} -> {type = "broadcast_ok", in_reply_to = N}
--   {type = "read", msg_id = N}  -> {type = "read_ok", messages = {every V this node knows}, in_reply_to = N}
-- Messages between your nodes may have any other type (self:peers() lists them).
local bc = {}

function bc.start(self, disk)
  -- your code here
end

function bc.receive(self, from, msg)
  -- your code here
end

function bc.timer(self, name)
  -- your code here
end

return bc
