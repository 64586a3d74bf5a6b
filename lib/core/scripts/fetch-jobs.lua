--[[
  Delivers the next batch of a queue to one consumer in strict priority order:
  prioritized jobs above 0, then the ready stream (priority 0, FIFO), then
  prioritized jobs at or below 0. Prioritized jobs are appended to the lane
  and read from it here, so they are delivered (pending, claimable) exactly
  as stream entries are. Nothing is delivered while the queue is paused.

  KEYS[1..4]  ready stream, lane, prioritized set, meta hash
  ARGV[1..3]  consumer group, consumer name, most entries to deliver

  Returns { paused (0/1), XREADGROUP-shaped reply or false }.
]]
local stream, lane, prioritized, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, consumer, count = ARGV[1], ARGV[2], tonumber(ARGV[3])

if redis.call('HGET', meta, 'paused') == '1' then return { 1, false } end

local ids = redis.call('ZRANGEBYSCORE', prioritized, '-inf', '(0', 'LIMIT', 0, count)
if #ids == 0 then
  local ready = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count,
    'STREAMS', stream, '>')
  if ready then return { 0, ready } end
  ids = redis.call('ZRANGEBYSCORE', prioritized, 0, '+inf', 'LIMIT', 0, count)
  if #ids == 0 then return { 0, false } end
end

for _, id in ipairs(ids) do
  redis.call('ZREM', prioritized, id)
  redis.call('XADD', lane, '*', 'j', id)
end
-- a few more than appended, so wake-up signals read along do not crowd them out
return { 0, redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', #ids + 16,
  'STREAMS', lane, '>') }
