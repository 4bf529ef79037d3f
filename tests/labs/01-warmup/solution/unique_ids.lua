-- Lab 1 reference solution: unique ids as (node name, counter), the counter
-- synced to disk before the id leaves, so a restart never reuses one.
local gen = {}

function gen.start(self, disk)
  disk.next = disk.next or 0
end

function gen.receive(self, from, msg)
  if msg.type ~= "generate" then return end
  self.disk.next = self.disk.next + 1
  self:sync()
  self:send(from, { type = "generate_ok", id = self.name .. "-" .. self.disk.next, in_reply_to = msg.msg_id })
end

return gen
