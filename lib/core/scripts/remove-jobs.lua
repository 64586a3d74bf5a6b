--[[
  Deletes finished jobs picked by the retention policy, if they are still in
  the given finished set (a job re-emitted meanwhile is spared).

  KEYS[1]  completed or failed set
  KEYS[2i], KEYS[2i + 1]  record and logs of job i
  ARGV[i]  id of job i

  Returns how many jobs were deleted.
]]
local removed = 0
for i = 1, #ARGV do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
    redis.call('DEL', KEYS[2 * i], KEYS[2 * i + 1])
    removed = removed + 1
  end
end
return removed
