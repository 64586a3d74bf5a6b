--[[
  Adds jobs to one queue: writes each job's record and appends its entry to
  the ready stream. A job whose id exists and has not finished is left as it
  is (idempotent emit); a finished one with the same id is replaced.

  KEYS[1]  ready stream
  KEYS[2]  completed set
  KEYS[3]  failed set
  KEYS[4 + 2(i-1)]  record of job i        KEYS[5 + 2(i-1)]  logs of job i

  ARGV[1]  now, epoch ms
  ARGV[2 + 5(i-1) ...]  job i: id, event, data JSON or '', options JSON or '',
                        priority

  Returns one number per job: 1 added, 0 already there and unfinished.
]]
local now = ARGV[1]
local added = {}

for i = 1, (#KEYS - 3) / 2 do
  local record, logs = KEYS[2 + 2 * i], KEYS[3 + 2 * i]
  local a = 2 + 5 * (i - 1)
  local id, event, data, opts, priority = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]

  local state = redis.call('HGET', record, 'state')
  if state and state ~= 'completed' and state ~= 'failed' then
    added[i] = 0
  else
    if state then
      redis.call('DEL', record, logs)
      redis.call('ZREM', KEYS[2], id)
      redis.call('ZREM', KEYS[3], id)
    end

    local entry = redis.call('XADD', KEYS[1], '*', 'j', id)
    redis.call('HSET', record, 'event', event, 'state', 'waiting', 'createdAt', now, 'entry', entry)
    if data ~= '' then redis.call('HSET', record, 'data', data) end
    if opts ~= '' then redis.call('HSET', record, 'opts', opts) end
    if priority ~= '0' then redis.call('HSET', record, 'priority', priority) end
    added[i] = 1
  end
end

return added
