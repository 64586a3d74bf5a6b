--[[
  Shared piece: marks one delivered job as processing (a new attempt) and
  returns what its handler needs. A job already finished (a duplicate
  delivery) is not touched.

  Returns false when the record is gone, { state } when the job has already
  finished, otherwise { state before, event, data, options, attempt,
  createdAt, priority, schedule key or '' }.
]]
local function activate(record, now)
  local f = redis.call('HMGET', record, 'state', 'event', 'data', 'opts', 'createdAt',
    'priority', 'schedule', 'attempt')
  local state = f[1]
  if not state then return false end
  if state == 'completed' or state == 'failed' then return { state } end
  local attempt = tonumber(f[8] or '0') + 1
  redis.call('HSET', record, 'state', 'processing', 'processedAt', now, 'attempt', attempt)
  return { state, f[2], f[3] or '', f[4] or '', attempt, f[5], f[6] or '0', f[7] or '' }
end
