--[[
  Resumes a paused queue and wakes an idle consumer. Jobs held while paused
  wait in the prioritized set and are delivered from there in order.

  KEYS[1..2]  lane, meta hash
  Returns 1 if the queue was paused, else 0.
]]
local lane, meta = KEYS[1], KEYS[2]
if redis.call('HDEL', meta, 'paused') == 0 then return 0 end
redis.call('XADD', lane, '*', 'w', 'r')
return 1
