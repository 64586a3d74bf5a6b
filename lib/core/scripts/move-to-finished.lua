--[[
  Records the outcome of a batch of delivered entries and acknowledges them,
  so an entry is acknowledged exactly when its outcome is stored. An entry
  that another consumer already acknowledged is left alone. A finished job's
  finish time is its score in the completed or failed set, not a field of
  its record (one field less to write and keep per job).

  KEYS[1..8]  ready stream, lane, prioritized set, delayed set, meta hash,
              completed set, failed set, dead-letter stream

  ARGV[1]  consumer group
  ARGV[2]  now, epoch ms
  ARGV[3]  prefix of job record keys (same hash tag)
  ARGV[4]  the items, as one JSON array (far cheaper to pass than thousands
           of arguments): per item an array of its kind and where its entry
           is ('0' ready stream, '1' lane) as one string, e.g. 'c0', then the
           entry id and what the kind takes, all strings:
    'c'  completed: job id, attempt, result JSON or ''
    'r'  failed, to be retried: job id, attempt, error message, stack, due
         time (epoch ms); the job is delayed until then, or waiting when 0
    'f'  failed for good: job id, attempt, error message, stack; a copy of
         the job goes to the dead-letter stream
    'b'  a bad entry: job id or '', reason, the entry's fields as JSON;
         dead-lettered, and its job (if any) failed with the reason
    'a'  acknowledge only (a duplicate delivery, a wake-up signal): nothing

    Returns { size of completed set, size of failed set, per item 1 if its
  outcome was recorded, else 0 }.
]]
--@include enqueue
local q = { stream = KEYS[1], lane = KEYS[2], prioritized = KEYS[3], delayed = KEYS[4],
  meta = KEYS[5] }
local completedSet, failedSet, dlq = KEYS[6], KEYS[7], KEYS[8]
local group, now, jobPrefix = ARGV[1], ARGV[2], ARGV[3]
-- Entries of runs are acknowledged together at the end, and every entry
-- acknowledged here is then removed from its stream (see removeSettled).
local acks = { [q.stream] = {}, [q.lane] = {} }
local done = { [q.stream] = {}, [q.lane] = {} }
-- ZADD arguments of the jobs completed here
local completed = {}

-- Splits a stream entry id into its ms and sequence parts, as strings.
local function idParts(id)
  local dash = string.find(id, '-', 1, true)
  return string.sub(id, 1, dash - 1), string.sub(id, dash + 1)
end

-- Whether decimal a < decimal b (no leading zeros), without converting.
local function less(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end

-- The lowest entry id of `stream` that may still matter to the group: its
-- oldest pending entry, or else its last delivered one. Every entry below it
-- has been delivered and acknowledged. nil when the stream or group is gone.
local function settledBelow(stream)
  local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', stream)
  if not ok then return nil end
  for _, info in ipairs(groups) do
    local g = {}
    for i = 1, #info, 2 do g[info[i]] = info[i + 1] end
    if g['name'] == group then
      if tonumber(g['pending']) == 0 then return g['last-delivered-id'] end
      return redis.call('XPENDING', stream, group)[2]
    end
  end
  return nil
end

-- Removes acknowledged entries. In a large batch, those below settledBelow
-- go with one cheap trim from the head (the usual case, as jobs finish
-- roughly in order); the rest, and a small batch, one by one.
local function removeSettled(stream, entries)
  if #entries == 0 then return end
  local bound = #entries >= 16 and settledBelow(stream)
  local rest = entries
  if bound then
    redis.call('XTRIM', stream, 'MINID', bound)
    rest = {}
    local boundMs, boundSeq = idParts(bound)
    for _, id in ipairs(entries) do
      local ms, seq = idParts(id)
      if not (less(ms, boundMs) or (ms == boundMs and less(seq, boundSeq))) then
        rest[#rest + 1] = id
      end
    end
  end
  for i = 1, #rest, 1000 do
    redis.call('XDEL', stream, unpack(rest, i, math.min(i + 999, #rest)))
  end
end

local function rememberError(record, attempt, message)
  local errors = cjson.decode(redis.call('HGET', record, 'errors') or '[]')
  errors[#errors + 1] = { attempt = tonumber(attempt), message = message, at = tonumber(now) }
  redis.call('HSET', record, 'errors', cjson.encode(errors), 'error', message)
end

local function deadLetter(record, id, entry, reason, message, fields)
  if record and redis.call('EXISTS', record) == 1 then
    local f = redis.call('HMGET', record, 'event', 'attempt', 'data', 'opts', 'priority')
    f[1] = f[1] or ''
    redis.call('HSET', record, 'state', 'failed')
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

local recorded = {}
for _, item in ipairs(cjson.decode(ARGV[4])) do
  local kind, entry = string.sub(item[1], 1, 1), item[2]
  local stream = string.sub(item[1], 2, 2) == '1' and q.lane or q.stream
  local id, ours, text, detail, due = '', '0', '', '', 0
  if kind == 'b' then
    id, text, detail = item[3], item[4], item[5]
  elseif kind ~= 'a' then
    id, ours, text = item[3], item[4], item[5]
    if kind ~= 'c' then detail = item[6] end
    if kind == 'r' then due = tonumber(item[7]) end
  end
  local record = id ~= '' and jobPrefix .. id or nil
  local outcome = 0

  if kind == 'a' or kind == 'b' then
    local acked = redis.call('XACK', stream, group, entry)
    local removed = done[stream]
    removed[#removed + 1] = entry
    if acked == 1 and kind == 'b' then
      if record and redis.call('EXISTS', record) == 1 then
        rememberError(record, redis.call('HGET', record, 'attempt') or '0', text)
      end
      deadLetter(record, id, entry, text, text, detail)
      outcome = 1
    end
  else
    -- A run's outcome counts only while its job is processing this very
    -- attempt: not twice, and not when another consumer has taken the job
    -- over and runs a newer attempt (that one owns the entry now). Whether
    -- the entry was still pending does not decide it: a consumer group that
    -- was lost (NOGROUP) forgets every pending entry.
    local f = redis.call('HMGET', record, 'state', 'attempt')
    local current = f[1] == 'processing' and f[2] == ours
    if current or f[1] ~= 'processing' then
      local acked, removed = acks[stream], done[stream]
      acked[#acked + 1] = entry
      removed[#removed + 1] = entry
    end
    if current then
      outcome = 1
      if kind == 'c' then
        if text ~= '' then
          redis.call('HSET', record, 'state', 'completed', 'result', text)
        else
          redis.call('HSET', record, 'state', 'completed')
        end
        completed[#completed + 1] = now
        completed[#completed + 1] = id
      else
        rememberError(record, ours, text)
        if detail ~= '' then redis.call('HSET', record, 'stack', detail) end
        if kind == 'f' then
          deadLetter(record, id, entry, 'failed', text, '')
        elseif due > tonumber(now) then
          delay(q, record, id, due)
        else
          enqueue(q, record, id, tonumber(redis.call('HGET', record, 'priority') or '0'))
        end
      end
    end
  end
  recorded[#recorded + 1] = outcome
end

for stream, entries in pairs(acks) do
  for i = 1, #entries, 1000 do
    redis.call('XACK', stream, group, unpack(entries, i, math.min(i + 999, #entries)))
  end
end
for i = 1, #completed, 1000 do
  redis.call('ZADD', completedSet, unpack(completed, i, math.min(i + 999, #completed)))
end
for stream, entries in pairs(done) do removeSettled(stream, entries) end

return { redis.call('ZCARD', completedSet), redis.call('ZCARD', failedSet), recorded }
