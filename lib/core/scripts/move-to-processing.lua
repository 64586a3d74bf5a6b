--[[
  Marks a batch of delivered jobs as processing (see activate): for entries
  that did not come through fetch-jobs, e.g. a blocking read or a reclaim.

  KEYS[i]  record of job i
  ARGV[1]  now, epoch ms

  Returns per job what activate returns.
]]
--@include activate
local now = ARGV[1]
local jobs = {}
for i = 1, #KEYS do jobs[i] = activate(KEYS[i], now) end
return jobs
