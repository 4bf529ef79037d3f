-- A student's module that tries to cheat the grader (tests/hostile/integrity.lua).
local dsim = require "dsim"
local M = { tried = {} }

local function try(name, f)
  local ok, err = pcall(f)
  M.tried[#M.tried + 1] = { name = name, ok = ok, err = tostring(err) }
end

try("lift the budget", function() dsim.limits{ instructions = 1e12 } end)
try("replace dsim.check", function() dsim.check = function() end end)
try("replace dsim.assert", function() dsim.assert = function() end end)
try("rawset dsim.check", function() rawset(dsim, "check", function() end) end)
try("change dsim's metatable", function() setmetatable(dsim, {}) end)
try("replace string.format", function() string.format = function() return "ok" end end)
try("rawset table.concat", function() rawset(table, "concat", nil) end)
try("replace the global pairs", function() pairs = function() return function() end end end)
try("rawset the global tostring", function() rawset(_G, "tostring", function() return "ok" end) end)
try("replace require", function() _G.require = function() end end)

function M.receive(self, from, msg)
  local ok = pcall(function() dsim.check = function() end end)
  self:send("g1", { type = "done", wrote = ok })
end
return M
