--[[
  Adds jobs to one queue: writes each job's record and makes it waiting (see
  enqueue) or delayed. A job whose id exists and has not finished is left as
  it is (idempotent emit); a finished one with the same id is replaced.
  Debounce windows are checked and opened here, atomically with the add.

  KEYS[1..7]  ready stream, lane, prioritized set, delayed set, meta hash,
              completed set, failed set

  ARGV[1]  now, epoch ms
  ARGV[2..4]  prefixes of job record, job log and debounce keys (all in the
              queue's hash tag, so the keys built here stay in its slot)
  ARGV[5]  the jobs, as one JSON array (far cheaper to pass than thousands of
           arguments); per job an array of strings: id, event, data JSON or
           '', options JSON or '', priority, due time in epoch ms ('0': now),
           debounce mode ('' none, 't' throttle, 'd' debounce), debounce
           window ms, debounce key

  Returns per job the id of the job that stands for it: its own, or the one
  an unfinished duplicate or a debounce window kept.
]]
--@include enqueue
local q = { stream = KEYS[1], lane = KEYS[2], prioritized = KEYS[3], delayed = KEYS[4],
  meta = KEYS[5] }
local completedSet, failedSet = KEYS[6], KEYS[7]
local now = tonumber(ARGV[1])
local jobPrefix, logsPrefix, debouncePrefix = ARGV[2], ARGV[3], ARGV[4]
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

for i, job in ipairs(cjson.decode(ARGV[5])) do
  local id, event, data, opts = job[1], job[2], job[3], job[4]
  local priority, due = tonumber(job[5]), tonumber(job[6])
  local mode, windowMs = job[7], job[8]
  local record, logs = jobPrefix .. id, logsPrefix .. id

  if mode == '' then
    results[i] = id
  else
    local dedupKey = debouncePrefix .. job[9]
    local kept = redis.call('GET', dedupKey)
    local keptRecord = kept and jobPrefix .. kept
    local keptState = kept and redis.call('HGET', keptRecord, 'state')
    if mode == 't' and keptState then
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

  if results[i] == id then write(record, logs, id, event, data, opts, priority, due) end
end

return results
