-- Lab 1, part 1: an echo server. Complete receive so that every
-- {type = "echo", echo = X, msg_id = N} gets back
-- {type = "echo_ok", echo = X, in_reply_to = N}.
local echo = {}

function echo.receive(self, from, msg)
  -- your code here
end

return echo
