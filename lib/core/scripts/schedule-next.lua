--[[
  Creates the next occurrence of a repeat schedule, so that a schedule has
  exactly one pending occurrence however many processes register or run it.

  mode 'register' (a process declares the schedule): if the schedule exists
  with the same definition and its pending occurrence is still unfinished,
  nothing changes; otherwise the schedule is (re)written and its next
  occurrence created, replacing a pending one of an older definition.
  mode 'advance' (an occurrence started): only when that occurrence is still
  the schedule's pending one is the following occurrence created.

  KEYS[1..6]  ready stream, lane, prioritized set, delayed set, meta hash,
              schedules hash
  KEYS[7..8]  record and logs of the new occurrence
  KEYS[9]     record of the occurrence the caller saw pending (or any key)

  ARGV[1]  mode: 'register' or 'advance'
  ARGV[2]  schedule key
  ARGV[3]  definition JSON (register) or ''
  ARGV[4]  id of the occurrence the caller saw pending, or ''
  ARGV[5]  id of the new occurrence, or '' when the schedule has ended
  ARGV[6]  its due time, epoch ms
  ARGV[7..10]  event, data JSON or '', options JSON or '', priority
  ARGV[11] now, epoch ms
  ARGV[12] most occurrences (0: no limit)
  ARGV[13] consumer group

  Returns the id of the schedule's pending occurrence ('' when it ended), or
  false when the schedule changed since the caller looked (look again).
]]
--@include enqueue
local q = { stream = KEYS[1], lane = KEYS[2], prioritized = KEYS[3], delayed = KEYS[4],
  meta = KEYS[5] }
local schedules, record, logs, seenRecord = KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local mode, key, definition, seen, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local due, event, data, opts = tonumber(ARGV[6]), ARGV[7], ARGV[8], ARGV[9]
local priority, now, limit = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local group = ARGV[13]

local current = redis.call('HGET', schedules, key)
local schedule = current and cjson.decode(current) or nil
local pending = schedule and schedule.next or ''
if pending ~= seen then return false end

if mode == 'advance' then
  if not schedule or pending == '' then return pending end
else
  local state = pending ~= '' and redis.call('HGET', seenRecord, 'state')
  local alive = state == 'waiting' or state == 'delayed' or state == 'processing'
  if schedule and schedule.definition == definition and alive then return pending end
  if state == 'delayed' or (state == 'waiting' and not delivered(q.stream, group, seenRecord)) then
    redis.call('ZREM', q.delayed, pending)
    redis.call('ZREM', q.prioritized, pending)
    deleteEntry(q.stream, seenRecord)
    redis.call('DEL', seenRecord)
  end
  if not schedule or schedule.definition ~= definition then
    schedule = { definition = definition, count = 0 }
  end
end

if id == '' or (limit > 0 and schedule.count >= limit) then
  schedule.next = ''
  schedule.nextAt = false
else
  if not redis.call('HGET', record, 'state') then
    redis.call('HSET', record, 'event', event, 'createdAt', now, 'schedule', key)
    if data ~= '' then redis.call('HSET', record, 'data', data) end
    if opts ~= '' then redis.call('HSET', record, 'opts', opts) end
    if priority ~= 0 then redis.call('HSET', record, 'priority', priority) end
    if due > now then delay(q, record, id, due) else enqueue(q, record, id, priority) end
  end
  schedule.count = schedule.count + 1
  schedule.next = id
  schedule.nextAt = due
end

redis.call('HSET', schedules, key, cjson.encode(schedule))
return schedule.next
