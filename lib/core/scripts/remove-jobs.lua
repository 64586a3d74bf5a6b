--[[
  Deletes finished jobs picked by the retention policy, if they are still in
  the given finished set (a job re-emitted meanwhile is spared). Three calls
  per batch, whatever its size.

  KEYS[1]  completed or failed set
  KEYS[2i], KEYS[2i + 1]  record and logs of job i
  ARGV[i]  id of job i

  Returns how many jobs were deleted.
]]
local scores = redis.call('ZMSCORE', KEYS[1], unpack(ARGV))
local ids, doomed = {}, {}
for i = 1, #ARGV do
  if scores[i] then
    ids[#ids + 1] = ARGV[i]
    doomed[#doomed + 1] = KEYS[2 * i]
    doomed[#doomed + 1] = KEYS[2 * i + 1]
  end
end
if #ids == 0 then return 0 end
redis.call('ZREM', KEYS[1], unpack(ids))
redis.call('DEL', unpack(doomed))
return #ids
