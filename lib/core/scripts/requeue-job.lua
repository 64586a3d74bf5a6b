--[[
  Runs a failed job again with a fresh retry budget (admin retry, or replay of
  its dead-letter entry): it becomes waiting, leaves the failed set, and its
  dead-letter entry is removed. A dead-letter entry whose job record is gone
  (retention) brings the job back from the copy the entry holds.

  KEYS[1..7]  ready stream, lane, prioritized set, delayed set, meta hash,
              failed set, dead-letter stream
  KEYS[8]     record of the job
  ARGV[1]     job id
  ARGV[2]     dead-letter entry id, or '' to use the one the record names
  ARGV[3]     now, epoch ms

  Returns 1 when requeued, 0 when the job is not failed (nothing changed),
  -1 when neither a record nor a dead-letter entry holds the job.
]]
--@include enqueue
local q = { stream = KEYS[1], lane = KEYS[2], prioritized = KEYS[3], delayed = KEYS[4],
  meta = KEYS[5] }
local failedSet, dlq, record = KEYS[6], KEYS[7], KEYS[8]
local id, letter = ARGV[1], ARGV[2]

local state = redis.call('HGET', record, 'state')
if letter == '' then letter = redis.call('HGET', record, 'dlqEntry') or '' end

if not state then
  local found = letter ~= '' and redis.call('XRANGE', dlq, letter, letter)[1]
  if not found then return -1 end
  local f = {}
  for i = 1, #found[2], 2 do f[found[2][i]] = found[2][i + 1] end
  if not f.event or f.event == '' then return -1 end
  redis.call('HSET', record, 'event', f.event, 'createdAt', ARGV[3])
  if (f.data or '') ~= '' then redis.call('HSET', record, 'data', f.data) end
  if (f.opts or '') ~= '' then redis.call('HSET', record, 'opts', f.opts) end
  if (f.priority or '0') ~= '0' then redis.call('HSET', record, 'priority', f.priority) end
elseif state ~= 'failed' then
  return 0
end

redis.call('ZREM', failedSet, id)
if letter ~= '' then redis.call('XDEL', dlq, letter) end
redis.call('HDEL', record, 'finishedAt', 'dlqEntry', 'processedAt')
redis.call('HSET', record, 'attempt', 0)
enqueue(q, record, id, tonumber(redis.call('HGET', record, 'priority') or '0'))
return 1
