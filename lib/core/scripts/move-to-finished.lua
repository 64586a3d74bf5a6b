--[[
  Records the outcome of a batch of delivered entries and acknowledges them,
  so an entry is acknowledged exactly when its outcome is stored. An entry
  that another consumer already acknowledged is left alone.

  KEYS[1..8]  ready stream, lane, prioritized set, delayed set, meta hash,
              completed set, failed set, dead-letter stream
  KEYS[9 ...] record of each item that names a job, in item order

  ARGV[1]  consumer group
  ARGV[2]  now, epoch ms
  per item, from ARGV[3 + 7(i-1)]: kind, '1' if the entry is on the lane else
           '0', entry id, job id or '', text, detail, due time (epoch ms)
    kind 'c'  completed: text = result JSON or ''
    kind 'r'  failed, to be retried: text = error message, detail = stack;
              the job is delayed until the due time, or waiting when 0
    kind 'f'  failed for good: text = error message, detail = stack; a copy
              of the job goes to the dead-letter stream
    kind 'b'  a bad entry: text = reason, detail = the entry's fields as JSON;
              dead-lettered, and its job (if any) failed with the reason
    kind 'a'  acknowledge only (a duplicate delivery, a wake-up signal)

  Returns { size of completed set, size of failed set }.
]]
--@include enqueue
local q = { stream = KEYS[1], lane = KEYS[2], prioritized = KEYS[3], delayed = KEYS[4],
  meta = KEYS[5] }
local completedSet, failedSet, dlq = KEYS[6], KEYS[7], KEYS[8]
local group, now = ARGV[1], ARGV[2]
local nextKey = 9
-- acknowledged entries are deleted together at the end: one XDEL per stream
local done = { [q.stream] = {}, [q.lane] = {} }

local function rememberError(record, attempt, message)
  local errors = cjson.decode(redis.call('HGET', record, 'errors') or '[]')
  errors[#errors + 1] = { attempt = tonumber(attempt), message = message, at = tonumber(now) }
  redis.call('HSET', record, 'errors', cjson.encode(errors), 'error', message)
end

local function deadLetter(record, id, entry, reason, message, fields)
  if record and redis.call('EXISTS', record) == 1 then
    local f = redis.call('HMGET', record, 'event', 'attempt', 'data', 'opts', 'priority')
    redis.call('HSET', record, 'state', 'failed', 'finishedAt', now)
    redis.call('ZADD', failedSet, now, id)
    local letter = redis.call('XADD', dlq, '*', 'j', id, 'event', f[1], 'reason', reason,
      'attempts', f[2] or '0', 'error', message, 'at', now, 'data', f[3] or '',
      'opts', f[4] or '', 'priority', f[5] or '0')
    redis.call('HSET', record, 'dlqEntry', letter)
  else
    redis.call('XADD', dlq, '*', 'j', id, 'reason', reason, 'error', message,
      'entry', entry, 'fields', fields, 'at', now)
  end
end

for a = 3, #ARGV, 7 do
  local kind, onLane, entry, id = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local text, detail, due = ARGV[a + 4], ARGV[a + 5], tonumber(ARGV[a + 6])
  local record
  if id ~= '' then
    record = KEYS[nextKey]
    nextKey = nextKey + 1
  end

    local stream = onLane == '1' and q.lane or q.stream
  local acked = redis.call('XACK', stream, group, entry)
  table.insert(done[stream], entry)

    if acked == 1 and kind ~= 'a' then
    local attempt = kind ~= 'c' and record and redis.call('HGET', record, 'attempt') or '0'
    if kind == 'c' then
      if text ~= '' then
        redis.call('HSET', record, 'state', 'completed', 'finishedAt', now, 'result', text)
      else
        redis.call('HSET', record, 'state', 'completed', 'finishedAt', now)
      end
      redis.call('ZADD', completedSet, now, id)
    elseif kind == 'r' then
      rememberError(record, attempt, text)
      if detail ~= '' then redis.call('HSET', record, 'stack', detail) end
      if due > tonumber(now) then
        delay(q, record, id, due)
      else
        enqueue(q, record, id, tonumber(redis.call('HGET', record, 'priority') or '0'))
      end
    elseif kind == 'f' then
      rememberError(record, attempt, text)
      if detail ~= '' then redis.call('HSET', record, 'stack', detail) end
      deadLetter(record, id, entry, 'failed', text, '')
    elseif kind == 'b' then
      if record and redis.call('EXISTS', record) == 1 then rememberError(record, attempt, text) end
      deadLetter(record, id, entry, text, text, detail)
    end
  end
end

for stream, entries in pairs(done) do
  for i = 1, #entries, 1000 do
    redis.call('XDEL', stream, unpack(entries, i, math.min(i + 999, #entries)))
  end
end

return { redis.call('ZCARD', completedSet), redis.call('ZCARD', failedSet) }
