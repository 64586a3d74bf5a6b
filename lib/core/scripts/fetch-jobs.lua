--[[
  Delivers the next batch of a queue to one consumer in strict priority order:
  prioritized jobs above 0, then the ready stream (priority 0, FIFO), then
  prioritized jobs at or below 0. Prioritized jobs are appended to the lane
  and read from it here, so they are delivered (pending, claimable) exactly
  as stream entries are. Nothing is delivered while the queue is paused.
  Each delivered job is marked processing in the same call (see activate), so
  a job costs no round trip between its delivery and its handler.

  KEYS[1..4]  ready stream, lane, prioritized set, meta hash
  ARGV[1..5]  consumer group, consumer name, most entries to deliver, the
              prefix of job record keys (same hash tag), now (epoch ms)

  Returns { 1 } while paused, { 0 } when nothing is deliverable, otherwise
  { 0, the stream read, JSON array with per delivered entry: [ entry id,
  fields, what activate returned or 0 for an entry that names no job ] }.
  One JSON string, not nested replies: far cheaper for the client to decode.
]]
--@include activate
local stream, lane, prioritized, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, consumer, count = ARGV[1], ARGV[2], tonumber(ARGV[3])
local jobPrefix, now = ARGV[4], ARGV[5]

local function delivered(reply)
  local out = {}
  for _, item in ipairs(reply[1][2]) do
    local fields = item[2]
    local job = 0
    if fields[1] == 'j' then job = activate(jobPrefix .. fields[2], now) end
    out[#out + 1] = { item[1], fields, job }
  end
  return { 0, reply[1][1], cjson.encode(out) }
end

if redis.call('HGET', meta, 'paused') == '1' then return { 1 } end

local ids = redis.call('ZRANGEBYSCORE', prioritized, '-inf', '(0', 'LIMIT', 0, count)
if #ids == 0 then
  local ready = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count,
    'STREAMS', stream, '>')
  if ready then return delivered(ready) end
  ids = redis.call('ZRANGEBYSCORE', prioritized, 0, '+inf', 'LIMIT', 0, count)
  if #ids == 0 then return { 0 } end
end

for _, id in ipairs(ids) do
  redis.call('ZREM', prioritized, id)
  redis.call('XADD', lane, '*', 'j', id)
end
-- a few more than appended, so wake-up signals read along do not crowd them out
return delivered(redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', #ids + 16,
  'STREAMS', lane, '>'))
