--[[
  Adds jobs to one queue: writes each job's record and makes it waiting (see
  enqueue) or delayed. A job whose id exists and has not finished is left as
  it is (idempotent emit); a finished one with the same id is replaced.
  Debounce windows are checked and opened here, atomically with the add.

  KEYS[1..7]  ready stream, lane, prioritized set, delayed set, meta hash,
              completed set, failed set
  per job i, from KEYS[8 + 4(i-1)]: record, logs, debounce key, record of
              the job the debounce key held when the caller looked (or any
              key when unused); throttle and debounce both need it, to tell a
              kept job from one cancelled since

  ARGV[1]  now, epoch ms
  per job i, from ARGV[2 + 9(i-1)]: id, event, data JSON or '', options JSON
              or '', priority, due time in epoch ms (0: now), debounce mode
              ('' none, 't' throttle, 'd' debounce), debounce window ms,
              and the id the debounce key held when the caller looked ('')

  Returns per job: the id of the job that stands for it (its own, or the one
  an unfinished duplicate or a debounce window kept), or false when the
  debounce key changed since the caller looked (the caller looks again).
]]
--@include enqueue
local q = { stream = KEYS[1], lane = KEYS[2], prioritized = KEYS[3], delayed = KEYS[4],
  meta = KEYS[5] }
local completedSet, failedSet = KEYS[6], KEYS[7]
local now = tonumber(ARGV[1])
local results = {}

local function isPending(state)
  return state == 'waiting' or state == 'delayed'
end

local function write(record, logs, id, event, data, opts, priority, due)
  local state = redis.call('HGET', record, 'state')
  if state and state ~= 'completed' and state ~= 'failed' then return false end
  if state then
    redis.call('DEL', record, logs)
    redis.call('ZREM', completedSet, id)
    redis.call('ZREM', failedSet, id)
  end

    local fields = { 'event', event, 'createdAt', now }
  if data ~= '' then table.insert(fields, 'data'); table.insert(fields, data) end
  if opts ~= '' then table.insert(fields, 'opts'); table.insert(fields, opts) end
  if priority ~= 0 then table.insert(fields, 'priority'); table.insert(fields, priority) end
  if due > now then delay(q, record, id, due, fields) else enqueue(q, record, id, priority, fields) end
  return true
end

for i = 1, (#KEYS - 7) / 4 do
  local k = 8 + 4 * (i - 1)
  local record, logs, dedupKey, keptRecord = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local a = 2 + 9 * (i - 1)
  local id, event, data, opts = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local priority, due = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
  local mode, windowMs, seen = ARGV[a + 6], ARGV[a + 7], ARGV[a + 8]

  if mode == '' then
    results[i] = id
  else
    local kept = redis.call('GET', dedupKey)
    local keptState = kept and redis.call('HGET', keptRecord, 'state')
    if (kept or '') ~= seen then
      results[i] = false
    elseif mode == 't' and keptState then
      -- throttle: the first job of the window wins, unless it was cancelled
      results[i] = kept
    elseif mode == 't' then
      results[i] = id
      redis.call('SET', dedupKey, id, 'PX', windowMs)
    elseif isPending(keptState) then
      -- debounce: the last emit wins; its data replaces the pending job's and
      -- the window (and the job's due time) starts again
      if data ~= '' then redis.call('HSET', keptRecord, 'data', data)
      else redis.call('HDEL', keptRecord, 'data') end
      if redis.call('ZSCORE', q.delayed, kept) then
        delay(q, keptRecord, kept, due)
      end
      redis.call('SET', dedupKey, kept, 'PX', windowMs)
      results[i] = kept
    else
      results[i] = id
      redis.call('SET', dedupKey, id, 'PX', windowMs)
    end
  end

  if results[i] == id and not write(record, logs, id, event, data, opts, priority, due) then
    results[i] = id
  end
end

return results
