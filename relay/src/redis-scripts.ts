/**
 * The cluster's shared state as Redis Lua scripts (redis-state.ts runs them). Each script runs
 * atomically in Redis, so a binding and the mailbox it takes, or a routing decision and the
 * frame it queues, never interleave with another node's: a frame is either published to the
 * node of a holder or queued, and a holder binding on any node takes every frame queued before.
 * Forwarding to a live recipient is one script call: it reads the routing table and PUBLISHes
 * the frame on the holder node's own channel (never a broadcast); PUBLISH answers how many
 * subscribers got it, so a node that died is noticed on the spot, its binding dropped and the
 * frame queued instead.
 *
 * Keys (P = `parley:`; ids and key pairs in hex, source keys as the relay forms them):
 *   P route:<id>        hash  key pair -> node incarnation holding it
 *   P alive:<node>      string, expires unless the node refreshes it (counts bindings for the maximum)
 *   P node:<node>       the node's pub/sub channel: F(id ‖ frame), R(key pair), W(reason ‖ tag)
 *   P all               pub/sub channel for control-plane events: S(id) "a secret was registered"
 *   P e:<seq>           hash  one queued frame: r s src v len at f
 *   P box:<id>          zset  seq of the id's queued frames (score seq: arrival order)
 *   P boxs:<id>         hash  count bytes sf sb (strangers) f:<key pair> b:<key pair> (sender shares)
 *   P age               zset  seq by arrival time (expiry)
 *   P ident             hash  key pair -> charged bytes in all mailboxes
 *   P srcb              zset  source -> charged bytes in all mailboxes (the heaviest is evicted first)
 *   P srce:<src>        zset  seq of a source's frames (its oldest first)
 *   P g                 hash  frames bytes boxes (global totals)
 *   P wake:<id>, wakeat, wakeid    wake tags: id -> key pair -> tag; key pair -> time; key pair -> id
 *   P wl:<key pair>     expires WAKE_MIN_INTERVAL_MS after a wake (the cluster-wide wake rate limit)
 *   P sec:<id>, secat, secid       mailbox token keys, same layout
 *   P tb:<name>         hash  t l: a token bucket (TURN requests per key pair, per source)
 *   P relay             the relay's public-key fingerprint (a node with other keys is refused)
 *   P stats:<node>, nodes          per-node counters for the cluster-wide metrics
 * Time is Redis's (TIME), one clock for every node.
 */

const COMMON = `
local P = 'parley:'
local function num(x) return tonumber(x) or 0 end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function remove_entry(seq, oh)
  local ek = P .. 'e:' .. seq
  local e = redis.call('HMGET', ek, 'r', 's', 'src', 'v', 'len')
  redis.call('ZREM', P .. 'age', seq)
  if not e[1] then return end
  local r, s, src, v, len = e[1], e[2], e[3], e[4], tonumber(e[5])
  local charge = len + oh
  redis.call('DEL', ek)
  redis.call('ZREM', P .. 'box:' .. r, seq)
  local bs = P .. 'boxs:' .. r
  if redis.call('HINCRBY', bs, 'count', -1) <= 0 then
    redis.call('DEL', bs)
    redis.call('HINCRBY', P .. 'g', 'boxes', -1)
  else
    redis.call('HINCRBY', bs, 'bytes', -len)
    if v == '0' then
      redis.call('HINCRBY', bs, 'sf', -1)
      redis.call('HINCRBY', bs, 'sb', -len)
    end
    if redis.call('HINCRBY', bs, 'f:' .. s, -1) <= 0 then redis.call('HDEL', bs, 'f:' .. s, 'b:' .. s)
    else redis.call('HINCRBY', bs, 'b:' .. s, -len) end
  end
  if redis.call('HINCRBY', P .. 'ident', s, -charge) <= 0 then redis.call('HDEL', P .. 'ident', s) end
  if tonumber(redis.call('ZINCRBY', P .. 'srcb', -charge, src)) <= 0 then redis.call('ZREM', P .. 'srcb', src) end
  redis.call('ZREM', P .. 'srce:' .. src, seq)
  redis.call('HINCRBY', P .. 'g', 'frames', -1)
  redis.call('HINCRBY', P .. 'g', 'bytes', -charge)
end
local function expire_box(r, cutoff, oh)
  local n = 0
  while true do
    local first = redis.call('ZRANGE', P .. 'box:' .. r, 0, 0)
    if #first == 0 then return n end
    if num(redis.call('HGET', P .. 'e:' .. first[1], 'at')) > cutoff then return n end
    remove_entry(first[1], oh)
    n = n + 1
  end
end
local function forget_reg(kind, holder)
  local id = redis.call('HGET', P .. kind .. 'id', holder)
  if id then redis.call('HDEL', P .. kind .. ':' .. id, holder) end
  redis.call('HDEL', P .. kind .. 'id', holder)
  redis.call('ZREM', P .. kind .. 'at', holder)
end
local function live_holders(rk)
  local h = redis.call('HGETALL', rk)
  local live = 0
  for i = 1, #h, 2 do
    if redis.call('EXISTS', P .. 'alive:' .. h[i + 1]) == 1 then live = live + 1 else redis.call('HDEL', rk, h[i]) end
  end
  return live
end
-- Wakes the tags registered for id ('m' message: at most once per interval per tag; 'c' call).
-- Returns sent, limited, no_notifier.
local function wake(id, reason, now, interval, wttl, notifier)
  local wk = P .. 'wake:' .. id
  local regs = redis.call('HGETALL', wk)
  if #regs == 0 then return 0, 0, 0 end
  local tags, limited = {}, 0
  for i = 1, #regs, 2 do
    local holder = regs[i]
    local at = redis.call('ZSCORE', P .. 'wakeat', holder)
    if not at or now - tonumber(at) > wttl then
      forget_reg('wake', holder)
    elseif reason == 'm' and not redis.call('SET', P .. 'wl:' .. holder, '1', 'PX', interval, 'NX') then
      limited = limited + 1
    else
      if reason ~= 'm' then redis.call('SET', P .. 'wl:' .. holder, '1', 'PX', interval) end
      tags[#tags + 1] = regs[i + 1]
    end
  end
  if #tags == 0 then return 0, limited, 0 end
  local reached = false
  if notifier ~= '' then
    local seen = {}
    local h = redis.call('HGETALL', P .. 'route:' .. notifier)
    for i = 2, #h, 2 do
      local node = h[i]
      if not seen[node] then
        seen[node] = true
        for _, tag in ipairs(tags) do
          if redis.call('PUBLISH', P .. 'node:' .. node, 'W' .. reason .. tag) > 0 then reached = true end
        end
      end
    end
  end
  if reached then return #tags, limited, 0 end
  return 0, limited, #tags
end
`;

/**
 * ROUTE: ARGV id, node, msg (id ‖ frame, the frame's route holding the sender id), sender, source,
 * vouched (1/0), mode, then the limits (the order of RedisState's limit arguments). Mode 0
 * routes; 1 only queues (frames put back); 2 routes again a frame published to this node that
 * found no holder there (it left meanwhile): this node's bindings of the id are stale and dropped.
 * A frame published to a node carries the sender's vouched flag, source and key pair, so that
 * node can route it again with the same bounds. Returns
 * {local, remote, status, evicted, expired, wakesSent, wakeLimited, wakeNoNotifier}; status is
 * 'live', 'queued' or a mailbox drop reason.
 */
export const ROUTE = `${COMMON}
local id, me, msg, s, src, v = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local rk = P .. 'route:' .. id
if ARGV[7] ~= '1' then
  local h = redis.call('HGETALL', rk)
  local loc, remote, seen = 0, 0, {}
  local out = 'F' .. v .. string.char(#src) .. src .. s .. msg
  for i = 1, #h, 2 do
    local node = h[i + 1]
    if node == me then
      if ARGV[7] == '2' then redis.call('HDEL', rk, h[i]) else loc = 1 end
    else
      if seen[node] == nil then
        local n = redis.call('PUBLISH', P .. 'node:' .. node, out)
        seen[node] = n > 0
        if n > 0 then remote = remote + 1 end
      end
      if seen[node] == false then redis.call('HDEL', rk, h[i]) end
    end
  end
  if loc + remote > 0 then return {loc, remote, 'live', 0, 0, 0, 0, 0} end
end
local maxFrames, maxBytes, ttl, globalMax = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local senderDiv, strangerDiv, identityMax, sourceMax = tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15])
local oh, interval, wttl, notifier = tonumber(ARGV[16]), tonumber(ARGV[17]), tonumber(ARGV[18]), ARGV[19]
local now = now_ms()
local expired = expire_box(id, now - ttl, oh)
local frame = string.sub(msg, 9)
local len = #frame
local charge = len + oh
local bs = P .. 'boxs:' .. id
local st = redis.call('HMGET', bs, 'count', 'bytes', 'sf', 'sb', 'f:' .. s, 'b:' .. s)
local count, bytes, sf, sb, mf, mb = num(st[1]), num(st[2]), num(st[3]), num(st[4]), num(st[5]), num(st[6])
local function drop(why, evicted) return {0, 0, why, evicted, expired, 0, 0, 0} end
if count + 1 > maxFrames or bytes + len > maxBytes then return drop('mailbox_full', 0) end
if v == '0' and (sf + 1 > maxFrames / strangerDiv or sb + len > maxBytes / strangerDiv) then return drop('mailbox_strangers', 0) end
if mf + 1 > maxFrames / senderDiv or mb + len > maxBytes / senderDiv then return drop('mailbox_sender_share', 0) end
if num(redis.call('HGET', P .. 'ident', s)) + charge > identityMax then return drop('mailbox_identity', 0) end
local mine = num(redis.call('ZSCORE', P .. 'srcb', src))
if mine + charge > sourceMax then return drop('mailbox_source', 0) end
local evicted = 0
while num(redis.call('HGET', P .. 'g', 'bytes')) + charge > globalMax do
  local top = redis.call('ZREVRANGE', P .. 'srcb', 0, 0, 'WITHSCORES')
  if #top == 0 or top[1] == src or tonumber(top[2]) <= mine + charge then return drop('mailbox_global', evicted) end
  local old = redis.call('ZRANGE', P .. 'srce:' .. top[1], 0, 0)
  if #old == 0 then return drop('mailbox_global', evicted) end
  remove_entry(old[1], oh)
  evicted = evicted + 1
end
st = redis.call('HMGET', bs, 'count')
if num(st[1]) == 0 then redis.call('HINCRBY', P .. 'g', 'boxes', 1) end
local seq = redis.call('INCR', P .. 'seq')
redis.call('HSET', P .. 'e:' .. seq, 'r', id, 's', s, 'src', src, 'v', v, 'len', len, 'at', now, 'f', frame)
redis.call('ZADD', P .. 'box:' .. id, seq, seq)
redis.call('ZADD', P .. 'age', now, seq)
redis.call('ZADD', P .. 'srce:' .. src, seq, seq)
redis.call('HINCRBY', bs, 'count', 1)
redis.call('HINCRBY', bs, 'bytes', len)
if v == '0' then
  redis.call('HINCRBY', bs, 'sf', 1)
  redis.call('HINCRBY', bs, 'sb', len)
end
redis.call('HINCRBY', bs, 'f:' .. s, 1)
redis.call('HINCRBY', bs, 'b:' .. s, len)
redis.call('HINCRBY', P .. 'ident', s, charge)
redis.call('ZINCRBY', P .. 'srcb', charge, src)
redis.call('HINCRBY', P .. 'g', 'frames', 1)
redis.call('HINCRBY', P .. 'g', 'bytes', charge)
if ARGV[7] == '1' then return {0, 0, 'queued', evicted, expired, 0, 0, 0} end
local sent, limited, nonot = wake(id, 'm', now, interval, wttl, notifier)
return {0, 0, 'queued', evicted, expired, sent, limited, nonot}
`;

/**
 * BIND: ARGV id, key pair, node, maxKeypairs, ttl, overhead. Binds the key pair to this node
 * (telling the node that held it before to close it with `replaced`) unless the id already has
 * the maximum of other live key pairs, and takes its mailbox. Returns {bound, expired, frames...}.
 */
export const BIND = `${COMMON}
local id, holder, me, maxk, ttl, oh = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local rk = P .. 'route:' .. id
local cur = redis.call('HGET', rk, holder)
local now = now_ms()
if cur then
  if cur ~= me then redis.call('PUBLISH', P .. 'node:' .. cur, 'R' .. holder) end
elseif live_holders(rk) >= maxk then
  return {0, 0}
end
redis.call('HSET', rk, holder, me)
redis.call('ZADD', P .. 'secat', 'XX', now, holder)
local expired = expire_box(id, now - ttl, oh)
local out = {1, expired}
for _, seq in ipairs(redis.call('ZRANGE', P .. 'box:' .. id, 0, -1)) do
  out[#out + 1] = redis.call('HGET', P .. 'e:' .. seq, 'f')
  remove_entry(seq, oh)
end
return out
`;

/** UNBIND: ARGV id, key pair, node. Drops the binding if this node still holds it; the secret's TTL counts from now. */
export const UNBIND = `${COMMON}
local rk = P .. 'route:' .. ARGV[1]
if redis.call('HGET', rk, ARGV[2]) == ARGV[3] then redis.call('HDEL', rk, ARGV[2]) end
redis.call('ZADD', P .. 'secat', 'XX', now_ms(), ARGV[2])
return 1
`;

/** TOUCH: ARGV key pair. The mailbox secret's TTL counts from now. */
export const TOUCH = `${COMMON}
redis.call('ZADD', P .. 'secat', 'XX', now_ms(), ARGV[1])
return 1
`;

/** RING: ARGV id, interval, wttl, notifier. Wakes the id for a call unless a holder is live. Returns {sent, limited, noNotifier}. */
export const RING = `${COMMON}
if live_holders(P .. 'route:' .. ARGV[1]) > 0 then return {0, 0, 0} end
local sent, limited, nonot = wake(ARGV[1], 'c', now_ms(), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4])
return {sent, limited, nonot}
`;

/**
 * REGISTER: ARGV kind ('wake' or 'sec'), id, key pair, value ('' removes), max registrations.
 * One registration per key pair; the oldest go first at the maximum. A secret's registration
 * is announced on the control-plane channel (sessions waiting for it check their tokens again).
 */
export const REGISTER = `${COMMON}
local kind, id, holder, value, max = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
forget_reg(kind, holder)
if kind == 'wake' then redis.call('DEL', P .. 'wl:' .. holder) end
if value == '' or max == 0 then return 0 end
while redis.call('ZCARD', P .. kind .. 'at') >= max do
  forget_reg(kind, redis.call('ZRANGE', P .. kind .. 'at', 0, 0)[1])
end
redis.call('HSET', P .. kind .. ':' .. id, holder, value)
redis.call('HSET', P .. kind .. 'id', holder, id)
redis.call('ZADD', P .. kind .. 'at', now_ms(), holder)
if kind == 'sec' then redis.call('PUBLISH', P .. 'all', 'S' .. id) end
return 1
`;

/** SECRETS: ARGV id, ttl. The token keys of the id's holders whose registration is live. */
export const SECRETS = `${COMMON}
local cutoff = now_ms() - tonumber(ARGV[2])
local regs = redis.call('HGETALL', P .. 'sec:' .. ARGV[1])
local out = {}
for i = 1, #regs, 2 do
  local at = redis.call('ZSCORE', P .. 'secat', regs[i])
  if at and tonumber(at) > cutoff then out[#out + 1] = regs[i + 1] end
end
return out
`;

/** SWEEP: ARGV mailbox ttl, overhead, wake ttl, secret ttl, batch. Expires old frames and registrations; returns frames expired. */
export const SWEEP = `${COMMON}
local now = now_ms()
local oh, batch = tonumber(ARGV[2]), tonumber(ARGV[5])
local n = 0
for _, seq in ipairs(redis.call('ZRANGEBYSCORE', P .. 'age', '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, batch)) do
  remove_entry(seq, oh)
  n = n + 1
end
for _, h in ipairs(redis.call('ZRANGEBYSCORE', P .. 'wakeat', '-inf', now - tonumber(ARGV[3]), 'LIMIT', 0, batch)) do forget_reg('wake', h) end
for _, h in ipairs(redis.call('ZRANGEBYSCORE', P .. 'secat', '-inf', now - tonumber(ARGV[4]), 'LIMIT', 0, batch)) do forget_reg('sec', h) end
return n
`;

/** BUCKETS: ARGV key1, rate1 (per s), burst1, key2, rate2, burst2. Spends one token of both or of neither; 1 if spent. */
export const BUCKETS = `${COMMON}
local now = now_ms()
local function level(k, rate, burst)
  local v = redis.call('HMGET', P .. 'tb:' .. k, 't', 'l')
  if not v[1] then return burst end
  return math.min(burst, tonumber(v[1]) + (now - tonumber(v[2])) * rate / 1000)
end
local r1, b1, r2, b2 = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5]), tonumber(ARGV[6])
local t1, t2 = level(ARGV[1], r1, b1), level(ARGV[4], r2, b2)
if t1 < 1 or t2 < 1 then return 0 end
redis.call('HSET', P .. 'tb:' .. ARGV[1], 't', t1 - 1, 'l', now)
redis.call('PEXPIRE', P .. 'tb:' .. ARGV[1], math.ceil(b1 / r1 * 1000) + 1000)
redis.call('HSET', P .. 'tb:' .. ARGV[4], 't', t2 - 1, 'l', now)
redis.call('PEXPIRE', P .. 'tb:' .. ARGV[4], math.ceil(b2 / r2 * 1000) + 1000)
return 1
`;
