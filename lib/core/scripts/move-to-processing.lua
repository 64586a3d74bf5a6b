--[[
  Marks a batch of delivered jobs as processing and returns what their
  handlers need. A job already finished (a duplicate delivery) is not touched.

  KEYS[i]  record of job i
  ARGV[1]  now, epoch ms

  Returns per job: false when the record is gone, otherwise
  { state before, event, data, options, attempt, createdAt, priority,
  schedule key or '' }.
]]
local now = ARGV[1]
local jobs = {}

for i = 1, #KEYS do
    local record = KEYS[i]
  local f = redis.call('HMGET', record, 'state', 'event', 'data', 'opts', 'createdAt',
    'priority', 'schedule', 'attempt')
  local state = f[1]
  if not state then
    jobs[i] = false
  elseif state == 'completed' or state == 'failed' then
    jobs[i] = { state }
  else
    local attempt = tonumber(f[8] or '0') + 1
    redis.call('HSET', record, 'state', 'processing', 'processedAt', now, 'attempt', attempt)
    jobs[i] = { state, f[2], f[3] or '', f[4] or '', attempt, f[5], f[6] or '0', f[7] or '' }
  end
end

return jobs
