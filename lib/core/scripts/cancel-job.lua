--[[
  Cancels a waiting or delayed job: removes it from where it waits and
  deletes its record. A job being processed or finished is left alone, and
  so is one whose entry a consumer has already read (it runs).

  KEYS[1..4]  ready stream, prioritized set, delayed set, record of the job
  KEYS[5]     logs of the job
  ARGV[1]     job id
  ARGV[2]     consumer group

  Returns 1 when cancelled, 0 when the job was not waiting or delayed.
]]
--@include waiting-entry
local stream, prioritized, delayed, record, logs = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, group = ARGV[1], ARGV[2]

local state = redis.call('HGET', record, 'state')
if state ~= 'waiting' and state ~= 'delayed' then return 0 end
if state == 'waiting' and delivered(stream, group, record) then return 0 end

deleteEntry(stream, record)
redis.call('ZREM', prioritized, id)
redis.call('ZREM', delayed, id)
redis.call('DEL', record, logs)
return 1
