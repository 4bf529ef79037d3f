-- dsim.mapreduce: a MapReduce cluster over HDFS in a scenario (C systems
-- "mapreduce" and "hdfs"), with the job's functions in Lua.
--
--   local M = require "dsim.mapreduce"
--   local mr = M.cluster{ workers = 8, racks = 2, block_size = 4096, reducers = 4,
--     map = function(offset, line) return { {key, value}, ... } end,
--     reduce = function(key, values) return value end,
--     combine = ..., partition = function(key, R) return 1..R end,   -- optional
--     locality = true, backups = true, reexecute = true, cpu_per_mb = "200ms",
--     slow = { w3 = 5 },                    -- a straggler: w3 computes 5 times slower
--     prefix = "a-" }                       -- names a-nn, a-master, a-w1.., a-client
--   mr.put("/in/text", text)                -- into HDFS, blocks cut after a newline
--   dsim.at("2s", function() mr.submit{ "/in/text" }, "/out/wc") end)
--   dsim.run("60s")
--   mr.job()      --> the master's state: phase, job_s, node_local, rack_local, ...
--   mr.fetch()    -- reads every output part; after a run, mr.result() is {key = value}
--
-- Workers are data nodes too (rack r holds workers of index r, r + racks, ...),
-- so placement and locality are real. The name node is prefix.."nn".
local dsim = ...
local M = {}

local HDFS = { "replication", "block_size", "heartbeat", "dead_after", "block_report", "monitor", "timeout" }
local MR = { "map", "reduce", "combine", "partition", "reducers", "locality", "backups", "reexecute",
             "cpu_per_mb", "worker_heartbeat", "worker_timeout" }

local function copy(o, keys, t)
  for _, k in ipairs(keys) do t[k] = o[k] end
  return t
end

local function check(o)
  local n = o.workers or 4
  if math.type(n) ~= "integer" or n < 1 then error("dsim.mapreduce: option 'workers' must be an integer >= 1", 3) end
  if o.replication and o.replication > n then
    error(string.format("dsim.mapreduce: option 'replication' (%d) is above the number of workers (%d)",
                        o.replication, n), 3)
  end
  if o.block_size == 0 then error("dsim.mapreduce: option 'block_size' must be at least 1 byte", 3) end
  if type(o.map) ~= "function" then error("dsim.mapreduce: option 'map' must be a function", 3) end
  if type(o.reduce) ~= "function" then error("dsim.mapreduce: option 'reduce' must be a function", 3) end
end

function M.cluster(o)
  check(o)
  local p, n, racks = o.prefix or "", o.workers or 4, o.racks or 1
  local mr = { workers = {}, rack_of = {}, parts = {} }
  local nn, master = p .. "nn", p .. "master"
  mr.namenode = dsim.cluster(copy(o, HDFS, { system = "hdfs", role = "namenode", names = { nn } }))[1]
  for i = 1, n do
    local name, rack = p .. "w" .. i, (i - 1) % racks + 1
    local t = copy(o, HDFS, { system = "mapreduce", role = "worker", names = { name }, rack = "/r" .. rack,
                              namenode = nn, master = master, slow = o.slow and o.slow["w" .. i] })
    t.cpu_per_mb, t.worker_heartbeat = o.cpu_per_mb, o.worker_heartbeat
    mr.workers[i] = dsim.cluster(t)[1]
    mr.rack_of[name] = rack
  end
  mr.client = dsim.cluster(copy(o, HDFS, { system = "hdfs", role = "client", names = { p .. "client" },
                                           namenode = nn, client = true }))[1]
  mr.master = dsim.cluster(copy(o, MR, copy(o, HDFS, { system = "mapreduce", role = "master", names = { master },
                                                       namenode = nn })))[1]
  function mr.put(path, text) mr.client:inject{ type = "write", path = path, data = text, lines = true } end
  function mr.put_size(path, bytes) mr.client:inject{ type = "write", path = path, size = bytes } end
  function mr.submit(input, output)
    mr.output = output
    mr.master:inject{ type = "job", input = input, output = output }
  end
  function mr.job() return mr.master.state end
  function mr.done() return mr.client.state.done end
  -- Asks the client to read every output part (run a little after).
  function mr.fetch()
    for r = 0, (o.reducers or 4) - 1 do
      mr.client:inject{ type = "read", path = string.format("%s/part-%05d", mr.output, r) }
    end
  end
  -- The output as a table key -> value (values as the reduce function's JSON text
  -- decoded), from the reads mr.fetch asked for; nil when one failed.
  function mr.result()
    local out = {}
    for _, d in ipairs(mr.done()) do
      if d.op == "read" and d.path:find(mr.output, 1, true) == 1 then
        if not d.ok then return nil, d.error end
        for k, v in d.data:gmatch("([^\t\n]*)\t([^\n]*)\n") do out[k] = dsim.decode(v) end
      end
    end
    return out
  end
  return mr
end

-- Word count's reference: the same words counted by plain Lua, apart from the
-- system (as `tr -cs A-Za-z '\n' | tr A-Z a-z | sort | uniq -c` would).
function M.count_words(text)
  local counts = {}
  for w in text:gmatch("%a+") do w = w:lower(); counts[w] = (counts[w] or 0) + 1 end
  return counts
end

return M
