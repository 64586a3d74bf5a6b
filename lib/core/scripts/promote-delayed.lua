--[[
  Makes due delayed jobs waiting (see enqueue). A job no longer in the
  delayed set, or not yet due, is left alone.

  KEYS[1..5]  ready stream, lane, prioritized set, delayed set, meta hash
  KEYS[6 ...] record of each job
  ARGV[1]     now, epoch ms
  ARGV[2 ...] id of each job

  Returns the due time of the earliest delayed job left, or false.
]]
--@include enqueue
local q = { stream = KEYS[1], lane = KEYS[2], prioritized = KEYS[3], delayed = KEYS[4],
  meta = KEYS[5] }
local now = tonumber(ARGV[1])

for i = 2, #ARGV do
  local id, record = ARGV[i], KEYS[4 + i]
  local due = redis.call('ZSCORE', q.delayed, id)
  if due and tonumber(due) <= now then
    redis.call('ZREM', q.delayed, id)
    if redis.call('EXISTS', record) == 1 then
      redis.call('HDEL', record, 'dueAt')
      enqueue(q, record, id, tonumber(redis.call('HGET', record, 'priority') or '0'))
    end
  end
end

local first = redis.call('ZRANGE', q.delayed, 0, 0, 'WITHSCORES')
return first[2] or false
