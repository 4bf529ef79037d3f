-- Lab 1 reference solution: echo.
local echo = {}

function echo.receive(self, from, msg)
  if msg.type == "echo" then
    self:send(from, { type = "echo_ok", echo = msg.echo, in_reply_to = msg.msg_id })
  end
end

return echo
