-- Lab 2 reference solution: values a client hands to this node are pushed to
-- every peer in batches (one message per peer every 500ms), each peer
-- acknowledges, and what a peer has not acknowledged after 1s is sent again
-- with the next batch: few messages when the network is kind, every value
-- everywhere when it is not.
local bc = {}
local FLUSH, RESEND = "500ms", 1.0                 -- RESEND in seconds, as self:now()

function bc.start(self)
  self.values = {}                                 -- value -> true
  self.pending = {}                                -- peer -> { value -> time last sent, or false }
  for _, peer in ipairs(self:peers()) do self.pending[peer] = {} end
  self:set_timer("flush", FLUSH)
end

local function learn(self, v, from_client)
  if self.values[v] then return end
  self.values[v] = true
  if not from_client then return end               -- the node a client told spreads it
  for _, peer in ipairs(self:peers()) do self.pending[peer][v] = false end
end

function bc.receive(self, from, msg)
  if msg.type == "broadcast" then
    learn(self, msg.message, true)
    self:send(from, { type = "broadcast_ok", in_reply_to = msg.msg_id })
  elseif msg.type == "read" then
    local list = {}
    for v in pairs(self.values) do list[#list + 1] = v end
    table.sort(list)
    self:send(from, { type = "read_ok", messages = list, in_reply_to = msg.msg_id })
  elseif msg.type == "push" then
    for _, v in ipairs(msg.values) do learn(self, v, false) end
    self:send(from, { type = "push_ok", values = msg.values })
  elseif msg.type == "push_ok" then
    for _, v in ipairs(msg.values) do self.pending[from][v] = nil end
  end
end

function bc.timer(self, name)
  local now = self:now()
  for _, peer in ipairs(self:peers()) do
    local batch = {}
    for v, sent in pairs(self.pending[peer]) do
      if sent == false or now - sent >= RESEND then
        batch[#batch + 1] = v
        self.pending[peer][v] = now
      end
    end
    if #batch > 0 then self:send(peer, { type = "push", values = batch }) end
  end
  self:set_timer("flush", FLUSH)
end

return bc
