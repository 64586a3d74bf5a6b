--[[
  Deletes the oldest finished jobs of one set that the retention policy no
  longer keeps: those beyond the newest `keep`, and those finished at or
  before the cutoff. The set is scored by finish time, so both are a run from
  its start; one call removes at most `limit` of them.

  KEYS[1]  completed or failed set
  ARGV[1]  prefix of job record keys, ARGV[2] prefix of job log keys (same
           hash tag as the set)
  ARGV[3]  newest jobs kept, ARGV[4] cutoff (epoch ms), ARGV[5] limit

  Returns how many jobs were deleted.
]]
local set, jobPrefix, logsPrefix = KEYS[1], ARGV[1], ARGV[2]
local keep, cutoff, limit = tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])

local excess = redis.call('ZCARD', set) - keep
local aged = redis.call('ZCOUNT', set, '-inf', cutoff)
local n = math.min(limit, math.max(excess, aged))
if n <= 0 then return 0 end

local ids = redis.call('ZRANGE', set, 0, n - 1)
local doomed = {}
for _, id in ipairs(ids) do
  doomed[#doomed + 1] = jobPrefix .. id
  doomed[#doomed + 1] = logsPrefix .. id
end
redis.call('ZREMRANGEBYRANK', set, 0, n - 1)
redis.call('DEL', unpack(doomed))
return #ids
