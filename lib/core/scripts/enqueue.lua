--[[
  Shared piece: makes a job waiting. A job of priority 0 on a running queue
  goes straight to the ready stream; a prioritized job, or any job while the
  queue is paused, waits in the prioritized set, scored so that higher
  priorities come first and equal ones in FIFO order. Jobs of priority 0 held
  there by a pause are delivered after the stream (fetch-jobs), so until they
  are gone new ones of priority 0 queue behind them, keeping FIFO. When the
  set was empty, a wake-up signal on the lane makes an idle consumer look.
]]
--@include waiting-entry
local SEQ_SPAN = 4294967296

-- Whether the queue is paused, and whether jobs of priority 0 are held in
-- the prioritized set: read once per script call (`q` is per call).
local function holding(q)
  if q.paused == nil then
    q.paused = redis.call('HGET', q.meta, 'paused') == '1'
    q.held = not q.paused and redis.call('ZCOUNT', q.prioritized, 0, '(' .. SEQ_SPAN) > 0
  end
  return q.paused, q.held
end

-- `extra`: more field-value pairs to write to the record in the same HSET.
local function enqueue(q, record, id, priority, extra)
  local paused, held = holding(q)
  local fields = extra or {}
  if priority == 0 and not paused and not held then
    local entry = redis.call('XADD', q.stream, '*', 'j', id)
    local createdAt
    for i = 1, #fields, 2 do
      if fields[i] == 'createdAt' then createdAt = fields[i + 1] end
    end
    createdAt = createdAt or redis.call('HGET', record, 'createdAt')
    table.insert(fields, 'state'); table.insert(fields, 'waiting')
    table.insert(fields, 'entry'); table.insert(fields, entryField(entry, createdAt))
    redis.call('HSET', record, unpack(fields))
    return
  end

  local seq = redis.call('HINCRBY', q.meta, 'seq', 1) % SEQ_SPAN
  local wasEmpty = q.prioritizedEmpty ~= false and redis.call('ZCARD', q.prioritized) == 0
  q.prioritizedEmpty = false
  if priority == 0 then q.held = true end
  redis.call('ZADD', q.prioritized, -priority * SEQ_SPAN + seq, id)
  table.insert(fields, 'state'); table.insert(fields, 'waiting')
  redis.call('HSET', record, unpack(fields))
  redis.call('HDEL', record, 'entry')
  if wasEmpty and not paused then redis.call('XADD', q.lane, '*', 'w', 'p') end
end

--[[ Makes a job delayed until `due` (epoch ms); wakes a consumer if it is now the earliest. ]]
local function delay(q, record, id, due, extra)
  local fields = extra or {}
  table.insert(fields, 'state'); table.insert(fields, 'delayed')
  table.insert(fields, 'dueAt'); table.insert(fields, due)
  redis.call('ZADD', q.delayed, due, id)
  redis.call('HSET', record, unpack(fields))
  redis.call('HDEL', record, 'entry')
  local first = redis.call('ZRANGE', q.delayed, 0, 0)
  if first[1] == id then redis.call('XADD', q.lane, '*', 'w', 'd', 'at', due) end
end
