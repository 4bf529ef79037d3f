-- dsim.hdfs: an HDFS cluster in a scenario, on the C system "hdfs".
--
--   local H = require "dsim.hdfs"
--   local fs = H.cluster{ racks = 3, per_rack = 3, replication = 3, block_size = 4096,
--                         heartbeat = "1s", dead_after = "5s" }
--   fs.write("/books/a.txt", text)        -- or fs.write(path, nil, { size = 10e6 })
--   fs.read("/books/a.txt"); fs.list("/books"); fs.meta(path); fs.delete(path)
--   dsim.run("10s")
--   fs.done()[1]  --> { op = "write", path = ..., ok = true, len = ..., latency_ms = ... }
--
-- fs.rack_of[name] is a data node's rack number. Nodes: "nn" (the name node), dn1..dnN (data nodes, rack r holds per_rack of
-- them, named in order), "client" (a client on rack /r1 unless client_rack).
-- Operations are messages injected into the client, which runs them one after
-- another; every one is an op in the history, and its outcome lands in
-- fs.done() in order (fs.client.state.done). fs.nn_state() is the name node's
-- view: live, dead, below_target, missing, min_replicas, safemode ...
local dsim = ...
local H = {}

local PASS = { "replication", "block_size", "heartbeat", "dead_after", "block_report", "monitor", "timeout",
               "streams", "safemode_pct" }

local function common(o, extra)
  local t = {}
  for _, k in ipairs(PASS) do t[k] = o[k] end
  for k, v in pairs(extra) do t[k] = v end
  return t
end

function H.cluster(o)
  o = o or {}
  local racks, per_rack = o.racks or 1, o.per_rack or 3
  local rep = o.replication or 3
  if math.type(racks) ~= "integer" or racks < 1 or math.type(per_rack) ~= "integer" or per_rack < 1 then
    error("dsim.hdfs: options 'racks' and 'per_rack' must be integers >= 1", 2)
  end
  if o.replication and rep > racks * per_rack then
    error(string.format("dsim.hdfs: option 'replication' (%d) is above the number of data nodes (%d)",
                        rep, racks * per_rack), 2)
  end
  if o.block_size == 0 then error("dsim.hdfs: option 'block_size' must be at least 1 byte", 2) end
  local fs = { racks = {}, datanodes = {}, rack_of = {} }
  fs.namenode = dsim.cluster(common(o, { system = "hdfs", role = "namenode", names = { "nn" } }))[1]
  for r = 1, racks do
    local names = {}
    for i = 1, per_rack do names[i] = "dn" .. ((r - 1) * per_rack + i) end
    fs.racks[r] = dsim.cluster(common(o, { system = "hdfs", role = "datanode", rack = "/r" .. r, names = names }))
    for _, h in ipairs(fs.racks[r]) do fs.datanodes[#fs.datanodes + 1] = h; fs.rack_of[h.name] = r end
  end
  fs.client = dsim.cluster(common(o, { system = "hdfs", role = "client", names = { o.client_name or "client" },
                                       rack = o.client_rack or "/r1", client = true }))[1]
  local function op(kind) return function(path, data, extra)
    local m = { type = kind, path = path, data = data }
    for k, v in pairs(extra or {}) do m[k] = v end
    fs.client:inject(m)
  end end
  fs.write, fs.append, fs.read = op("write"), op("append"), op("read")
  fs.meta, fs.list, fs.delete = op("meta"), op("list"), op("delete")
  function fs.done() return fs.client.state.done end
  function fs.nn_state() return fs.namenode.state end
  -- The data node handle called name.
  function fs.node(name)
    for _, h in ipairs(fs.datanodes) do if h.name == name then return h end end
  end
  return fs
end

-- Words of a text, lower-cased, as `tr -cs A-Za-z '\n' | tr A-Z a-z` makes them.
function H.words(text)
  local out = {}
  for w in text:gmatch("%a+") do out[#out + 1] = w:lower() end
  return out
end

return H
