-- Lab 1, part 2: a unique-id generator. Every {type = "generate", msg_id = N}
-- gets back {type = "generate_ok", id = I, in_reply_to = N}, where no id is
-- ever handed out twice by any node, even when nodes crash and restart.
local gen = {}

function gen.start(self, disk)
  -- your code here (disk is what survived the last crash)
end

function gen.receive(self, from, msg)
  -- your code here
end

return gen
