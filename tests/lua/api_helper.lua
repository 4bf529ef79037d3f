-- A module in the scenario's folder, loaded by api.lua with require.
return { answer = 42 }
