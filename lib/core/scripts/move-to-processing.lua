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
  local state = redis.call('HGET', record, 'state')
  if not state then
    jobs[i] = false
  elseif state == 'completed' or state == 'failed' then
    jobs[i] = { state }
  else
    local attempt = redis.call('HINCRBY', record, 'attempt', 1)
    redis.call('HSET', record, 'state', 'processing', 'processedAt', now)
    local f = redis.call('HMGET', record, 'event', 'data', 'opts', 'createdAt', 'priority',
      'schedule')
    jobs[i] = { state, f[1], f[2] or '', f[3] or '', attempt, f[4], f[5] or '0', f[6] or '' }
  end
end

return jobs
