--[[
  Removes a repeat schedule and cancels its pending occurrence if it has not
  started.

  KEYS[1..5]  ready stream, prioritized set, delayed set, schedules hash,
              record of the occurrence the caller saw pending (or any key)
  ARGV[1]     schedule key
  ARGV[2]     id of the occurrence the caller saw pending, or ''
  ARGV[3]     consumer group

  Returns 1 when removed, 0 when there was no such schedule, false when the
  schedule changed since the caller looked (look again).
]]
--@include waiting-entry
local stream, prioritized, delayed, schedules, record = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local key, seen, group = ARGV[1], ARGV[2], ARGV[3]

local current = redis.call('HGET', schedules, key)
if not current then return 0 end
local pending = cjson.decode(current).next or ''
if pending ~= seen then return false end

if pending ~= '' then
  local state = redis.call('HGET', record, 'state')
  if state == 'delayed' or (state == 'waiting' and not delivered(stream, group, record)) then
    redis.call('ZREM', delayed, pending)
    redis.call('ZREM', prioritized, pending)
    deleteEntry(stream, record)
    redis.call('DEL', record)
  end
end
redis.call('HDEL', schedules, key)
return 1
