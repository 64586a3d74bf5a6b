--[[
  Shared piece: where a waiting job's ready-stream entry is. Its record keeps
  the entry id as its distance from the job's createdAt, '<ms>-<seq>' (most
  often '0-0' or a few ms), a few bytes instead of fifteen per waiting job.
  A record with no createdAt keeps the whole id (its distance from 0).
]]
local function entryField(entry, createdAt)
  local ms, seq = string.match(entry, '^(%d+)-(%d+)$')
  return (tonumber(ms) - (tonumber(createdAt) or 0)) .. '-' .. seq
end

-- Deletes the ready-stream entry of a waiting job, if it has one.
local function deleteEntry(stream, record)
  local f = redis.call('HMGET', record, 'entry', 'createdAt')
  if not f[1] then return end
  local delta, seq = string.match(f[1], '^(-?%d+)-(%d+)$')
  if not delta then return end
  redis.call('XDEL', stream, ((tonumber(f[2]) or 0) + tonumber(delta)) .. '-' .. seq)
end
