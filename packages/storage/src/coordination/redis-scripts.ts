/**
 * The Lua scripts of the Redis coordinator: each operation that reads and then
 * writes runs as one script, so it is atomic against every other instance.
 * Time always arrives as an argument (`now`, the coordinator clock's epoch ms);
 * scripts never read the Redis server's time. Fractional numbers are written
 * with `%.17g` so they round-trip exactly. Layout: see `redis-keys.ts`.
 */
import { createHash } from 'node:crypto';

/** A script and its SHA-1, for EVALSHA with an EVAL fallback. */
export interface LuaScript {
  /** Name for error details. */
  readonly name: string;
  /** Lua source. */
  readonly source: string;
  /** Hex SHA-1 of the source. */
  readonly sha: string;
}

function script(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/** Extends (never shortens) a key's expiry to `ms`. */
const EXTEND_EXPIRY = `
local function extend_expiry(key, ms)
  local pttl = redis.call('PTTL', key)
  if pttl < ms then redis.call('PEXPIRE', key, string.format('%.0f', ms)) end
end
`;

/**
 * KEYS: lease set. ARGV: holder, now, ttlMs, limit, safetyMs.
 * Prunes leases with expiresAt <= now; refreshes the holder's lease or takes a free
 * slot. Returns {1} when acquired, {0, active, earliestExpiresAt} when full.
 */
export const ACQUIRE_LEASE = script(
  'acquire-lease',
  `${EXTEND_EXPIRY}
local key, holder = KEYS[1], ARGV[1]
local now, ttl, limit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[2])
local mine = redis.call('ZSCORE', key, holder)
local active = redis.call('ZCARD', key)
if not mine and active >= limit then
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {0, active, first[2]}
end
redis.call('ZADD', key, string.format('%.17g', now + ttl), holder)
extend_expiry(key, math.ceil(ttl * 2) + tonumber(ARGV[5]))
return {1}
`,
);

/** KEYS: lease set. ARGV: holder, now, ttlMs, safetyMs. Returns 1 when the live lease was extended, else 0. */
export const RENEW_LEASE = script(
  'renew-lease',
  `${EXTEND_EXPIRY}
local key, holder = KEYS[1], ARGV[1]
local now, ttl = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[2])
if not redis.call('ZSCORE', key, holder) then return 0 end
redis.call('ZADD', key, 'XX', string.format('%.17g', now + ttl), holder)
extend_expiry(key, math.ceil(ttl * 2) + tonumber(ARGV[4]))
return 1
`,
);

/** KEYS: lease set. ARGV: holder, now. Returns 1 when a live lease was removed, else 0. */
export const RELEASE_LEASE = script(
  'release-lease',
  `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
return redis.call('ZREM', KEYS[1], ARGV[1])
`,
);

/** KEYS: lease set. ARGV: now. Prunes, then returns the live leases as {holder, expiresAt, …}. */
export const LIST_LEASES = script(
  'list-leases',
  `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
`,
);

/**
 * KEYS: counter hash. ARGV: by, now, ttlMs ('' for none), limit ('' for none), safetyMs.
 * A counter whose window ended counts as absent. Returns {1, newValue} when applied,
 * {0, currentValue} when `current + by` would exceed the limit.
 */
export const INCREMENT = script(
  'increment',
  `
local key = KEYS[1]
local now = tonumber(ARGV[2])
local exp = redis.call('HGET', key, 'exp')
if exp and tonumber(exp) <= now then redis.call('DEL', key) end
local current = redis.call('HGET', key, 'v') or '0'
if ARGV[4] ~= '' and tonumber(current) + tonumber(ARGV[1]) > tonumber(ARGV[4]) then
  return {0, current}
end
local value = redis.call('HINCRBY', key, 'v', ARGV[1])
if ARGV[3] ~= '' and redis.call('HEXISTS', key, 'exp') == 0 then
  local ttl = tonumber(ARGV[3])
  redis.call('HSET', key, 'exp', string.format('%.17g', now + ttl))
  redis.call('PEXPIRE', key, string.format('%.0f', math.ceil(ttl * 2) + tonumber(ARGV[5])))
end
return {1, string.format('%.0f', value)}
`,
);

/**
 * KEYS: bucket hash. ARGV: capacity, refillPerSecond, cost, now, safetyMs.
 * Mirrors `token-bucket.ts` operation for operation (milli-tokens). Returns
 * {allowed 0|1, milliTokens, retryAfterMs (-1: never), resetMs}. The key expires
 * once the bucket would be full again (plus the margin), which reads the same as absent.
 */
export const TAKE_TOKENS = script(
  'take-tokens',
  `
local key = KEYS[1]
local rate, now = tonumber(ARGV[2]), tonumber(ARGV[4])
local full, cost = tonumber(ARGV[1]) * 1000, tonumber(ARGV[3]) * 1000
local state = redis.call('HMGET', key, 'mtokens', 'updatedAt')
local milli, updated = full, now
if state[1] and state[2] then
  milli, updated = tonumber(state[1]), tonumber(state[2])
end
if now > updated then
  milli = math.min(full, milli + (now - updated) * rate)
  updated = now
end
if milli > full then milli = full end
local allowed, retry = 0, 0
if cost > full then
  retry = -1
elseif milli >= cost then
  milli = milli - cost
  allowed = 1
else
  retry = math.ceil((cost - milli) / rate)
end
local reset = math.ceil((full - milli) / rate)
redis.call('HSET', key, 'mtokens', string.format('%.17g', milli), 'updatedAt', string.format('%.17g', updated))
redis.call('PEXPIRE', key, string.format('%.0f', math.min(reset + tonumber(ARGV[5]), 1e15)))
return {allowed, string.format('%.17g', milli), string.format('%.0f', retry), string.format('%.0f', reset)}
`,
);

/** The stream's last generated position (kept by Redis after trimming), 0 when absent. */
const LAST_POSITION_FN = `
local function last_position(key)
  if redis.call('EXISTS', key) == 0 then return 0 end
  local info = redis.call('XINFO', 'STREAM', key)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      return tonumber(string.match(info[i + 1], '^(%d+)%-'))
    end
  end
  return redis.error_reply('XINFO STREAM returned no last-generated-id')
end
`;

/**
 * KEYS: stream. ARGV: payload, position ('' for last + 1), maxLength ('' for none), retentionMs.
 * Appends with id `<position>-0`, trimming exactly (`MAXLEN =`). Returns {1, position},
 * or {0, last} when an explicit position is not after the last.
 */
export const APPEND = script(
  'append',
  `${LAST_POSITION_FN}
local key = KEYS[1]
local last = last_position(key)
local position
if ARGV[2] == '' then
  position = last + 1
else
  position = tonumber(ARGV[2])
  if position <= last then return {0, string.format('%.0f', last)} end
end
local id = string.format('%.0f', position) .. '-0'
if ARGV[3] == '' then
  redis.call('XADD', key, id, 'p', ARGV[1])
else
  redis.call('XADD', key, 'MAXLEN', '=', ARGV[3], id, 'p', ARGV[1])
end
redis.call('PEXPIRE', key, ARGV[4])
return {1, string.format('%.0f', position)}
`,
);

/** KEYS: stream. Returns the last position as a string, '0' for no stream. */
export const LAST_POSITION = script(
  'last-position',
  `${LAST_POSITION_FN}
return string.format('%.0f', last_position(KEYS[1]))
`,
);
