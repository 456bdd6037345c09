// Differential testing against the real redis-server: the same commands go to redis-server and to
// little-raft nodes, pipelined, in RESP2 or RESP3, and every reply is compared byte for byte.
// Replies may differ only where Redis itself leaves the answer open (REPLY_RULES: the order of
// KEYS, of a set or hash in a Redis hash table, random picks, a TTL read a moment later), where
// little-raft differs on purpose for a documented reason (DELIBERATE).
import { formatCommand, formatValue, RespClient, type Argv, type RawReply, type RespValue } from './resp-client.js';

/** One reply that differs: the command's index in the stream, redis-server's and little-raft's reply. */
export interface Difference {
  readonly index: number;
  readonly command: string;
  /** redis-server's reply (formatValue). */
  readonly expected: string;
  /** little-raft's reply. */
  readonly actual: string;
  /** The name of the deliberate difference (DELIBERATE) it is, else null. */
  readonly deliberate: string | null;
}

/** A difference little-raft makes on purpose: which replies it covers, and why. */
interface DeliberateDifference {
  /** A short name, for reports. */
  readonly name: string;
  readonly reason: string;
  /** Whether it explains these replies to `command`; `earlier` is every command the stream sent before it. */
  readonly applies: (command: Argv, expected: RespValue, actual: RespValue, earlier: readonly Argv[]) => boolean;
}

export interface CompareOptions {
  /** 2 (the default) or 3: every connection on both sides starts with HELLO 3. */
  readonly protocol?: 2 | 3;
  /**
   * performance.now() when the state this stream reads began to be written (default: when this call
   * starts): clock readings (TTL) of the two servers may differ by the time since then.
   */
  readonly since?: number;
  /**
   * Commands the two servers ran before this stream (a read-back after it): rules that depend on
   * history (a hash's order, hashMayBeTable) take them into account.
   */
  readonly earlier?: readonly Argv[];
}

/** An argument as latin1 text ('' for a missing one). */
const text = (arg: Uint8Array | undefined): string => (arg === undefined ? '' : Buffer.from(arg).toString('latin1'));
/** The command's name in lower case. */
const lower = (command: Argv): string => text(command[0]).toLowerCase();
const same = (a: RespValue, b: RespValue): boolean => formatValue(a) === formatValue(b);

/** The elements of an array (RESP2) or set (RESP3) reply, else null. */
function elements(v: RespValue): readonly RespValue[] | null {
  return v.type === 'array' || v.type === 'set' ? v.items : null;
}

/** Two collections with the same elements in any order (and of the same RESP type). */
function sameUnordered(a: RespValue, b: RespValue): boolean {
  const x = elements(a);
  const y = elements(b);
  if (x === null || y === null || a.type !== b.type) return false;
  const sorted = (items: readonly RespValue[]): string => items.map(formatValue).sort().join('\n');
  return x.length === y.length && sorted(x) === sorted(y);
}

/** The numeric value of a SCAN cursor as Redis reads it (strtoul), or null if it is no number. */
function cursorValue(v: Uint8Array | RespValue | undefined): bigint | null {
  let text: string;
  if (v instanceof Uint8Array) text = Buffer.from(v).toString('latin1');
  else if (v !== undefined && v.type === 'bulk') text = v.data.toString('latin1');
  else return null;
  return /^[+-]?[0-9]{1,20}$/.test(text) ? BigInt(text) : null;
}

/** When the two servers ran the stream, for replies that read the clock. */
interface Clock {
  /** Milliseconds from the first command sent to the last reply read, on either server. */
  readonly spanMs: number;
}

/** A clock reading in `unit` ms (TTL: 1000, PTTL: 1): equal, or both positive and no further apart than the run. */
function sameClockReading(unit: number): (e: RespValue, a: RespValue, clock: Clock) => boolean {
  return (e, a, clock) => {
    if (e.type !== 'integer' || a.type !== 'integer') return false;
    if (e.value === a.value) return true;
    if (e.value <= 0n || a.value <= 0n) return false;
    // Each server counts from its own clock: they can be apart by the run's length, plus TTL's rounding.
    const slack = BigInt(Math.ceil((clock.spanMs + unit) / unit));
    const d = e.value - a.value;
    return d <= slack && -d <= slack;
  };
}

/**
 * Whether the elements are integers as Redis reads them (string2ll: no leading zero, no '+', no
 * "-0", 64 bits) in ascending order: a Redis intset's order (set-order.ts).
 */
function ascendingIntegers(items: readonly RespValue[]): boolean {
  let previous: bigint | null = null;
  for (const v of items) {
    if (v.type !== 'bulk' || !/^(0|-?[1-9][0-9]{0,18})$/.test(v.data.toString('latin1'))) return false;
    const n = BigInt(v.data.toString('latin1'));
    if (n < -(2n ** 63n) || n >= 2n ** 63n || (previous !== null && n <= previous)) return false;
    previous = n;
  }
  return true;
}

/**
 * A set's members: in any order where Redis holds the set in a hash table, but in Redis's order
 * where it answered an intset's (ascending integers; little-raft answers a set of at most 512
 * integers so too).
 */
function sameSetMembers(e: RespValue, a: RespValue): boolean {
  const x = elements(e);
  return x !== null && !ascendingIntegers(x) && sameUnordered(e, a);
}

/** Key/value pairs of a map (RESP3) or flat array (RESP2) reply, as sorted text; null otherwise. */
function sortedPairs(v: RespValue): string | null {
  let pairs: string[];
  if (v.type === 'map') pairs = v.entries.map(([k, x]) => `${formatValue(k)} ${formatValue(x)}`);
  else if (v.type === 'array' && v.items.length % 2 === 0) {
    pairs = [];
    for (let i = 0; i < v.items.length; i += 2)
      pairs.push(`${formatValue(v.items[i]!)} ${formatValue(v.items[i + 1]!)}`);
  } else return null;
  return `${v.type}\n${pairs.sort().join('\n')}`;
}

/** A ZSCAN page's member / score pairs with the scores as numbers, in member order; null if not pairs. */
function scoredPairs(v: RespValue): string | null {
  const items = elements(v);
  if (items === null || items.length % 2 !== 0) return null;
  const pairs: string[] = [];
  for (let i = 0; i < items.length; i += 2) {
    const score = items[i + 1]!;
    if (score.type !== 'bulk') return null;
    pairs.push(`${formatValue(items[i]!)} ${Number(score.data.toString('latin1'))}`);
  }
  return pairs.sort().join('\n');
}

/** Redis's listpack limits for a hash: beyond them it is a hash table (t_hash.c). */
const LISTPACK_VALUE = 64;
const LISTPACK_ENTRIES = 128;
const HASH_WRITES = new Set(['hset', 'hmset', 'hsetnx', 'hincrby', 'hincrbyfloat']);

/**
 * Whether Redis may hold the hash at `key` as a hash table after `earlier`, whose order is its own:
 * a field or value longer than 64 bytes written to it (HINCRBYFLOAT's result may be), more than
 * 128 fields, or a RENAME / RENAMENX / COPY from a key that may hold one. A hash table stays one
 * until the key is deleted, so this never forgets a key.
 */
function hashMayBeTable(key: Uint8Array | undefined, earlier: readonly Argv[]): boolean {
  if (key === undefined) return false;
  const tables = new Set<string>();
  const fields = new Map<string, number>();
  for (const c of earlier) {
    const name = lower(c);
    const k = text(c[1]);
    if (name === 'rename' || name === 'renamenx' || name === 'copy') {
      if (tables.has(k)) tables.add(text(c[2]));
    } else if (HASH_WRITES.has(name)) {
      const count = (fields.get(k) ?? 0) + Math.floor((c.length - 2) / 2);
      fields.set(k, count);
      if (name === 'hincrbyfloat' || count > LISTPACK_ENTRIES || c.slice(2).some((a) => a.length > LISTPACK_VALUE)) {
        tables.add(k);
      }
    }
  }
  return tables.has(text(key));
}

/** A hash's pairs (HGETALL, HSCAN's page), fields or values: in any order where Redis holds a table. */
function sameHashContent(e: RespValue, a: RespValue, command: Argv, earlier: readonly Argv[]): boolean {
  if (!hashMayBeTable(command[1], earlier)) return false;
  if (lower(command) === 'hkeys' || lower(command) === 'hvals') return sameUnordered(e, a);
  const x = sortedPairs(e);
  return x !== null && x === sortedPairs(a);
}

/** HSCAN / SSCAN: cursor 0 on both sides, and the same elements (in the collection's open order). */
function sameCollectionScan(e: RespValue, a: RespValue, command: Argv, earlier: readonly Argv[]): boolean {
  const x = elements(e);
  const y = elements(a);
  if (x?.length !== 2 || y?.length !== 2 || !same(x[0]!, y[0]!) || cursorValue(x[0]) !== 0n) return false;
  return lower(command) === 'sscan' ? sameSetMembers(x[1]!, y[1]!) : sameHashContent(x[1]!, y[1]!, command, earlier);
}

/** Random members (SRANDMEMBER, HRANDFIELD): the same kind and number of them (or nil on both sides). */
function sameRandomShape(e: RespValue, a: RespValue): boolean {
  if (e.type === 'bulk' && a.type === 'bulk') return true;
  const x = elements(e);
  const y = elements(a);
  if (x === null || y === null || e.type !== a.type || x.length !== y.length) return false;
  return x.every(
    (v, i) => v.type === y[i]!.type && (v.type !== 'array' || elements(v)?.length === elements(y[i]!)?.length),
  );
}

/**
 * SORT / SORT_RO BY a pattern without '*' and no STORE: the collection's own order, which for a set
 * Redis holds as a hash table is open (as SMEMBERS'). The same number of items: with LIMIT or GET
 * the items themselves may differ too. An intset's ascending integers (no GET) are not open.
 */
function sameUnsortedSet(e: RespValue, a: RespValue, _clock: Clock, command: Argv): boolean {
  let dontSort = false;
  let gets = false;
  for (let i = 2; i < command.length; i++) {
    const option = text(command[i]).toLowerCase();
    if (option === 'store') return false;
    // Sticky, as in Redis: a BY without '*' is not undone by a later one with it.
    if (option === 'by' && i + 1 < command.length && !text(command[++i]).split('\0')[0]!.includes('*')) dontSort = true;
    else if (option === 'get' && i + 1 < command.length) {
      gets = true;
      i++;
    } else if (option === 'limit') i += 2;
  }
  const x = elements(e);
  const y = elements(a);
  return dontSort && x !== null && y !== null && x.length === y.length && (gets || !ascendingIntegers(x));
}

type ReplyRule = (
  expected: RespValue,
  actual: RespValue,
  clock: Clock,
  command: Argv,
  earlier: readonly Argv[],
) => boolean;

/**
 * Where Redis leaves a reply open, by command name: equal replies are the same anyway; these decide
 * whether two different replies are the same answer. Add unordered replies (SMEMBERS, HGETALL, ...)
 * and clock readings of new commands here.
 */
const REPLY_RULES: Readonly<Record<string, ReplyRule>> = {
  // KEYS: in no particular order.
  keys: sameUnordered,
  // SCAN: the same cursor, and the same keys in any order.
  scan: (e, a) => {
    const x = elements(e);
    const y = elements(a);
    return x?.length === 2 && y?.length === 2 && same(x[0]!, y[0]!) && sameUnordered(x[1]!, y[1]!);
  },
  // Time to live, counted from each server's own clock.
  ttl: sameClockReading(1000),
  pttl: sameClockReading(1),
  // Expiry times set relative to each server's own clock.
  expiretime: sameClockReading(1000),
  pexpiretime: sameClockReading(1),
  // Set members: Redis's hash-table order is its own (its intsets' ascending order is not open).
  smembers: sameSetMembers,
  sinter: sameSetMembers,
  sunion: sameSetMembers,
  sdiff: sameSetMembers,
  spop: sameSetMembers,
  // Hash fields: the order of a hash Redis holds as a hash table (its listpack order is not open).
  hgetall: (e, a, _clock, command, earlier) => sameHashContent(e, a, command, earlier),
  hkeys: (e, a, _clock, command, earlier) => sameHashContent(e, a, command, earlier),
  hvals: (e, a, _clock, command, earlier) => sameHashContent(e, a, command, earlier),
  hscan: (e, a, _clock, command, earlier) => sameCollectionScan(e, a, command, earlier),
  sscan: (e, a, _clock, command, earlier) => sameCollectionScan(e, a, command, earlier),
  // Random picks.
  srandmember: sameRandomShape,
  hrandfield: sameRandomShape,
  // Random members: the same shape.
  zrandmember: sameRandomShape,
  // SORT BY a constant answers a set in its own order.
  sort: sameUnsortedSet,
  sort_ro: sameUnsortedSet,
};

/** 2^53 milliseconds: expiry times beyond it are rounded by little-raft (below). */
const DOUBLE_EXACT_MS = 2n ** 53n;

/**
 * The differences little-raft makes on purpose. Each must say why, and cover nothing else.
 */
const DELIBERATE: readonly DeliberateDifference[] = [
  {
    name: 'scan cursor',
    reason:
      'SCAN cursors are positions in little-raft`s own key order (store/scan-index.ts), not Redis`s ' +
      'reverse-binary bucket cursors: a call with a cursor other than 0, or a page that does not end ' +
      'the iteration, holds other keys behind another cursor. Full iterations return the same keys.',
    applies: (command, e, a) => {
      if (lower(command) !== 'scan') return false;
      const start = cursorValue(command[1]);
      if (start !== null && start !== 0n) return true;
      const [ec] = elements(e) ?? [];
      const [ac] = elements(a) ?? [];
      return (cursorValue(ec) ?? 0n) !== 0n || (cursorValue(ac) ?? 0n) !== 0n;
    },
  },
  {
    name: 'collection scan cursor',
    reason:
      'HSCAN / SSCAN of a collection Redis holds as a hash table (a set of strings; a hash with a ' +
      'long field or value) walk its buckets, a page at a time; little-raft answers a hash of up to ' +
      '128 fields or a set of up to 128 members whole (cursor 0), and walks larger ones by positions ' +
      'in its own member order (store/member-index.ts). A call with a cursor other than 0, or a page ' +
      'that does not end the iteration, differs; full iterations return the same members.',
    applies: (command, e, a) => {
      if (lower(command) !== 'hscan' && lower(command) !== 'sscan') return false;
      const start = cursorValue(command[2]);
      if (start !== null && start !== 0n) return true;
      const [ec] = elements(e) ?? [];
      const [ac] = elements(a) ?? [];
      return (cursorValue(ec) ?? 0n) !== 0n || (cursorValue(ac) ?? 0n) !== 0n;
    },
  },
  {
    name: 'expiry beyond 2^53 ms',
    reason:
      'little-raft keeps expiry times as doubles (ms since the epoch): one after 2^53 ms (the year ' +
      '287,396) is rounded to the nearest double, so the TTL / PTTL / EXPIRETIME / PEXPIRETIME of such ' +
      'a key can be off by up to 2^10 ms (write-syntax.ts, expireAtFor).',
    applies: (command, e, a) => {
      const unit = { ttl: 1000n, pttl: 1n, expiretime: 1000n, pexpiretime: 1n }[lower(command)];
      if (unit === undefined || e.type !== 'integer' || a.type !== 'integer') return false;
      if (e.value * unit < DOUBLE_EXACT_MS / 2n) return false;
      const d = e.value - a.value;
      const slack = 2n ** 11n / unit + 1n;
      return d <= slack && -d <= slack;
    },
  },
  {
    name: 'SORT after ERANGE',
    reason:
      "Redis 7.0.15's SORT checks errno after strtod without clearing it first, so once any strtod " +
      'in the process ended in ERANGE (a ZADD score of 5e-324, a SORT of 1e400), it answers "One or ' +
      'more scores can`t be converted into double" for every non-integer until some system call ' +
      'fails; little-raft judges each number by itself (store/families/sort.ts).',
    applies: (command, e, a) =>
      (lower(command) === 'sort' || lower(command) === 'sort_ro') &&
      e.type === 'error' &&
      e.text === "ERR One or more scores can't be converted into double" &&
      a.type !== 'error',
  },
  {
    name: 'OBJECT ENCODING after shrinking',
    reason:
      'little-raft reports a hash, set or sorted set encoding by its contents (store/families/object.ts); ' +
      'Redis 7.0 never converts one back to listpack / intset once it grew past a threshold (128 ' +
      'entries, a value over 64 bytes, a member that is not an integer), until a restart.',
    applies: (command, e, a) => {
      if (lower(command) !== 'object' || text(command[1]).toLowerCase() !== 'encoding') return false;
      if (e.type !== 'bulk' || a.type !== 'bulk') return false;
      const pair = `${e.data.toString('latin1')}/${a.data.toString('latin1')}`;
      return ['hashtable/listpack', 'skiplist/listpack', 'hashtable/intset'].includes(pair);
    },
  },
  {
    name: 'ZSCAN after SORT',
    reason:
      'Redis 7.0 converts a small sorted set to a skiplist for good when SORT or SORT_RO reads it ' +
      '(sort.c), so ZSCAN then answers in hash order with every score as %.17g (1e+17, not ' +
      '100000000000000000). SORT is a read, served by whichever node the client uses: little-raft ' +
      'changes nothing on it, as converting one copy would make the nodes answer ZSCAN differently. ' +
      'Same members with the same scores; cursor 0 on both sides.',
    applies: (command, e, a, earlier) => {
      if (lower(command) !== 'zscan') return false;
      const key = text(command[1]);
      const sorted = earlier.some((c) => ['sort', 'sort_ro'].includes(lower(c)) && text(c[1]) === key);
      const [ec, ei] = elements(e) ?? [];
      const [ac, ai] = elements(a) ?? [];
      if (!sorted || ec === undefined || ac === undefined || cursorValue(ec) !== 0n || cursorValue(ac) !== 0n) {
        return false;
      }
      return ei !== undefined && ai !== undefined && scoredPairs(ei) === scoredPairs(ai);
    },
  },
  {
    name: 'DBSIZE with expired keys',
    reason:
      'DBSIZE counts the keys that exist. Redis 7.0 counts every key in its table, also one whose ' +
      'expiry time has passed (SET ... PXAT in the past, PSETEX k 1 v a moment ago) until ' +
      'an access to it or its background expiry cycle deletes it: its count is higher by up to the ' +
      'number of such keys, depending on when that cycle runs.',
    applies: (command, e, a, earlier) => {
      if (lower(command) !== 'dbsize' || e.type !== 'integer' || a.type !== 'integer') return false;
      return e.value > a.value && e.value - a.value <= BigInt(earlier.filter(mayHaveExpired).length);
    },
  },
  {
    name: 'SCAN TYPE none with expired keys',
    reason:
      'SCAN ... TYPE none lists no key in little-raft (no key that exists is of type none). Redis 7.0 ' +
      'lists the keys whose expiry time has passed but that it has not deleted yet (its type check ' +
      'looks them up, finds nothing, and takes "none" for a match): which ones depends on when its ' +
      'background expiry cycle ran.',
    applies: (command, e, a, earlier) => {
      const typeNone = command.some(
        (arg, i) => i >= 2 && text(arg).toLowerCase() === 'type' && text(command[i + 1]).toLowerCase() === 'none',
      );
      if (lower(command) !== 'scan' || !typeNone || !earlier.some(mayHaveExpired)) return false;
      const [ec, ek] = elements(e) ?? [];
      const [ac, ak] = elements(a) ?? [];
      const ours = ak === undefined ? null : elements(ak);
      return ec !== undefined && ac !== undefined && same(ec, ac) && ek !== undefined && ours?.length === 0;
    },
  },
];

/** How long a stream may take to run and be read back: an expiry closer than this may have passed. */
const STREAM_SPAN_MS = 60_000n;

/**
 * Whether `command` may have given a key an expiry time that passed before the stream was read
 * back: SET / GETEX with EX, PX, EXAT or PXAT, SETEX, PSETEX and the EXPIRE family, at a time in
 * the past or within STREAM_SPAN_MS from now (PSETEX k 1 v expires during the stream).
 */
function mayHaveExpired(command: Argv): boolean {
  const now = BigInt(Date.now());
  const due = (amount: Argv[number] | undefined, unit: bigint, absolute: boolean): boolean => {
    const n = cursorValue(amount);
    if (n === null || n <= 0n) return false;
    return absolute ? n * unit <= now + STREAM_SPAN_MS : n * unit <= STREAM_SPAN_MS;
  };
  const name = lower(command);
  const fixed = {
    setex: [1000n, false],
    psetex: [1n, false],
    expire: [1000n, false],
    pexpire: [1n, false],
    expireat: [1000n, true],
    pexpireat: [1n, true],
  }[name] as [bigint, boolean] | undefined;
  if (fixed !== undefined) return due(command[2], fixed[0], fixed[1]);
  if (name !== 'set' && name !== 'getex') return false;
  return command.some((arg, i) => {
    const option = { ex: [1000n, false], px: [1n, false], exat: [1000n, true], pxat: [1n, true] }[
      text(arg).toLowerCase()
    ] as [bigint, boolean] | undefined;
    return i >= 2 && option !== undefined && due(command[i + 1], option[0], option[1]);
  });
}

/** How two replies compare: the same answer, a difference excused by name, or a difference. */
type Verdict = 'same' | 'differs' | { readonly excused: string };

/**
 * Judges two replies to `command`, `earlier` having run before it. EXEC's replies are judged one
 * by one as replies to the `queued` commands, each after the ones before it.
 */
function judge(
  command: Argv,
  queued: readonly Argv[],
  e: RespValue,
  a: RespValue,
  context: { readonly clock: Clock; readonly deliberate: readonly DeliberateDifference[] },
  earlier: readonly Argv[],
): Verdict {
  if (same(e, a)) return 'same';
  const rule = REPLY_RULES[lower(command)];
  if (rule?.(e, a, context.clock, command, earlier) === true) return 'same';
  const x = elements(e);
  const y = elements(a);
  if (lower(command) === 'exec' && x !== null && y !== null && x.length === queued.length && y.length === x.length) {
    let verdict: Verdict = 'same';
    for (let i = 0; i < x.length && verdict !== 'differs'; i++) {
      const v = judge(queued[i]!, [], x[i]!, y[i]!, context, [...earlier, ...queued.slice(0, i)]);
      if (v !== 'same' && verdict === 'same') verdict = v;
      if (v === 'differs') verdict = v;
    }
    return verdict;
  }
  const excuse = context.deliberate.find((d) => d.applies(command, e, a, earlier));
  return excuse === undefined ? 'differs' : { excused: excuse.name };
}

/** Opens a connection (HELLO 3 first for RESP3), sends `commands` pipelined, reads their replies, closes. */
async function runOn(port: number, commands: readonly Argv[], protocol: 2 | 3): Promise<RawReply[]> {
  const client = await RespClient.connect(port);
  try {
    if (protocol === 3) {
      const hello = await client.command('HELLO', '3');
      if (hello.value.type !== 'map') throw new Error(`HELLO 3 on port ${port}: ${formatValue(hello.value)}`);
    }
    return await client.call(commands);
  } finally {
    client.close();
  }
}

/**
 * Runs `commands` on redis-server (`redisPort`) and on little-raft nodes (`lrPorts`) and returns
 * every reply that differs, in stream order. The stream is cut into lrPorts.length consecutive
 * parts of nearly equal length; part i goes pipelined on a new connection to lrPorts[i] once part
 * i-1 is answered (so a part on one node reads what the part before wrote through another), and on
 * a new connection of its own to redis-server, at the same time. A transaction cut in two is cut on
 * both sides alike.
 */
export async function compareStreams(
  redisPort: number,
  lrPorts: readonly number[],
  commands: readonly Argv[],
  options: CompareOptions = {},
): Promise<Difference[]> {
  const protocol = options.protocol ?? 2;
  const deliberate = DELIBERATE;
  if (lrPorts.length === 0) throw new RangeError('compareStreams: no little-raft port');
  const parts: Argv[][] = [];
  let from = 0;
  for (let i = 0; i < lrPorts.length; i++) {
    const to = Math.round(((i + 1) * commands.length) / lrPorts.length);
    parts.push(commands.slice(from, to));
    from = to;
  }
  const started = options.since ?? performance.now();
  const differences: Difference[] = [];
  const replies: [expected: RawReply, actual: RawReply][][] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.length === 0) {
      replies.push([]);
      continue;
    }
    const [expected, actual] = await Promise.all([
      runOn(redisPort, part, protocol),
      runOn(lrPorts[i]!, part, protocol),
    ]);
    replies.push(expected.map((e, j) => [e, actual[j]!]));
  }
  const context = { clock: { spanMs: performance.now() - started }, deliberate };
  let index = 0;
  /** The commands run so far: queued ones once EXEC runs them. */
  const earlier: Argv[] = [...(options.earlier ?? [])];
  for (let i = 0; i < parts.length; i++) {
    // Each part is a connection of its own: a MULTI's queue does not outlive it.
    let queued: Argv[] | null = null;
    for (let j = 0; j < parts[i]!.length; j++, index++) {
      const command = parts[i]![j]!;
      const [expected, actual] = replies[i]![j]!;
      const verdict = expected.bytes.equals(actual.bytes)
        ? 'same'
        : judge(command, queued ?? [], expected.value, actual.value, context, earlier);
      if (verdict !== 'same') {
        differences.push({
          index,
          command: formatCommand(command),
          expected: formatValue(expected.value),
          actual: formatValue(actual.value),
          deliberate: verdict === 'differs' ? null : verdict.excused,
        });
      }
      // What redis-server did decides the transaction's state on both sides (else they differ already).
      const cmd = lower(command);
      if (queued === null) {
        if (cmd === 'multi' && expected.value.type === 'simple') queued = [];
        else earlier.push(command);
      } else if (cmd === 'exec' || cmd === 'discard') {
        if (cmd === 'exec' && elements(expected.value) !== null) earlier.push(...queued);
        queued = null;
      } else if (expected.value.type === 'simple' && expected.value.text === 'QUEUED') {
        queued.push(command);
      }
    }
  }
  return differences;
}
