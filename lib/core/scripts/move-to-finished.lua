--[[
  Records the outcome of a batch of delivered entries and acknowledges them,
  so an entry is acknowledged exactly when its outcome is stored. An entry
  that another consumer already acknowledged is left alone.

  KEYS[1]  ready stream
  KEYS[2]  completed set
  KEYS[3]  failed set
  KEYS[4]  dead-letter stream
  KEYS[5 ...]  record of each item that names a job, in item order

  ARGV[1]  consumer group
  ARGV[2]  now, epoch ms
  ARGV[3 + 5(i-1) ...]  item i: kind, entry id, job id or '', text, detail
    kind 'c'  completed: text = result JSON or ''
    kind 'f'  failed for good: text = error message, detail = stack;
              the job's entry goes to the dead-letter stream
    kind 'b'  a bad entry: text = reason, detail = the entry's fields as JSON;
              dead-lettered, and its job (if any) failed with the reason
    kind 'a'  acknowledge only (duplicate delivery of a finished job)

  Returns { size of completed set, size of failed set }.
]]
local stream, completedSet, failedSet, dlq = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, now = ARGV[1], ARGV[2]
local nextKey = 5

for a = 3, #ARGV, 5 do
  local kind, entry, id, text, detail = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local record
  if id ~= '' then
    record = KEYS[nextKey]
    nextKey = nextKey + 1
  end

  local acked = redis.call('XACK', stream, group, entry)
  redis.call('XDEL', stream, entry)

  if acked == 1 and kind == 'c' then
    redis.call('HSET', record, 'state', 'completed', 'finishedAt', now)
    if text ~= '' then redis.call('HSET', record, 'result', text) end
    redis.call('ZADD', completedSet, now, id)
  elseif acked == 1 and (kind == 'f' or kind == 'b') then
    local reason = kind == 'f' and 'failed' or text
    if record and redis.call('EXISTS', record) == 1 then
      redis.call('HSET', record, 'state', 'failed', 'finishedAt', now, 'error', text)
      if kind == 'f' and detail ~= '' then redis.call('HSET', record, 'stack', detail) end
      redis.call('ZADD', failedSet, now, id)
      local f = redis.call('HMGET', record, 'event', 'attempt')
      redis.call('XADD', dlq, '*', 'j', id, 'event', f[1], 'reason', reason,
        'attempts', f[2] or '0', 'error', text, 'at', now)
    else
      redis.call('XADD', dlq, '*', 'j', id, 'reason', reason, 'error', text,
        'entry', entry, 'fields', kind == 'b' and detail or '', 'at', now)
    end
  end
end

return { redis.call('ZCARD', completedSet), redis.call('ZCARD', failedSet) }
