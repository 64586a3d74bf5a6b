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

-- The ready-stream entry id of a waiting job, or nil when it has none.
local function entryOf(record)
  local f = redis.call('HMGET', record, 'entry', 'createdAt')
  if not f[1] then return nil end
  local delta, seq = string.match(f[1], '^(-?%d+)-(%d+)$')
  if not delta then return nil end
  return ((tonumber(f[2]) or 0) + tonumber(delta)) .. '-' .. seq
end

-- Whether a waiting job's entry was already delivered to a consumer of
-- `group`: the job is on its way to run (marked processing a moment later),
-- so it is no longer only waiting and must not be taken away.
local function delivered(stream, group, record)
  local entry = entryOf(record)
  if not entry then return false end
  local ok, rows = pcall(redis.call, 'XPENDING', stream, group, entry, entry, 1)
  return ok and #rows > 0
end

-- Deletes the ready-stream entry of a waiting job, if it has one.
local function deleteEntry(stream, record)
  local entry = entryOf(record)
  if entry then redis.call('XDEL', stream, entry) end
end
