// Key-space commands: DEL, EXISTS, TYPE, TTL, PTTL, DBSIZE, KEYS, SCAN (MATCH, COUNT, TYPE), FLUSHDB
// and FLUSHALL (ASYNC, SYNC), RENAME, RENAMENX, UNLINK, COPY (DB 0 and refused databases: DB 1 to
// 15 exist in Redis only), TOUCH, OBJECT (ENCODING, REFCOUNT, FREQ, HELP: IDLETIME reads the clock);
// and each with a wrong number of arguments.
import fc from 'fast-check';

import { anyArgs, command, key, keys, kw, type Command } from './common.js';

/** Glob patterns: the usual ones, Redis's corner cases (unclosed '[', trailing '\', reversed ranges), random mixes. */
const pattern: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '*', 'k*', 'k?', 'k[0-2]', 'k[^0]', 'k[!1]', '*1', 'k\\*', '[a-z]?', '[K]*', 'k[', 'k[1-', '\\', 'k\\',
    'k[2-0]', '?', '??', '*\xff*', '', 'k[\\]]', 'k[-]', '**', '*k*0*', 'k 4', 'k[]0',
  ),
  fc.array(fc.constantFrom('k', '0', '1', '*', '?', '[', '0-2', ']', '^', '\\', '\xff', ' ', '-'), {
    maxLength: 6,
  }).map((parts) => parts.join('')),
); // prettier-ignore

/** SCAN cursors: 0 written several ways; others, which little-raft reads differently (see redis-diff.ts). */
const cursor: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('0', '+0', '-0', '00') },
  { weight: 1, arbitrary: fc.constantFrom('1', '3', '4294967296', '18446744073709551615', '-1') },
  { weight: 1, arbitrary: fc.constantFrom('abc', '', '-', '1.5', ' 0', '18446744073709551616', '0x0') },
);

const scanOption: fc.Arbitrary<readonly string[]> = fc.oneof(
  fc.tuple(kw('match'), pattern),
  fc.tuple(kw('count'), fc.constantFrom('1', '2', '5', '10', '100', '1000', '0', '-1', 'x', '9223372036854775807')),
  fc.tuple(kw('type'), fc.constantFrom('string', 'STRING', 'hash', 'list', 'set', 'zset', 'stream', 'none', 'x')),
  fc.constantFrom(['count'], ['match'], ['foo', 'bar']),
);

/** COPY's options: REPLACE, DB 0, and databases both servers refuse. */
const copyOption: fc.Arbitrary<readonly string[]> = fc.oneof(
  kw('replace').map((o) => [o]),
  fc.tuple(kw('db'), fc.constantFrom('0', '16', '-1', 'x', '2147483648', '00')),
  fc.constantFrom(['db'], ['foo']),
);

/** Commands of keys.ts beyond the first ones: RENAME ... OBJECT. */
const moreKeyCommands: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.oneof(kw('rename'), kw('renamenx')), key, key).map(([c, a, b]) => command(c, a, b)) },
  { weight: 2, arbitrary: fc.tuple(kw('unlink'), keys()).map(([c, ks]) => command(c, ...ks)) },
  { weight: 2, arbitrary: fc.tuple(kw('touch'), keys()).map(([c, ks]) => command(c, ...ks)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(kw('copy'), key, key, fc.array(copyOption, { maxLength: 2 }))
      .map(([c, a, b, o]) => command(c, a, b, ...o.flat())),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(kw('object'), fc.constantFrom('encoding', 'ENCODING', 'refcount', 'freq', 'help', 'foo'), fc.array(key, { maxLength: 2 }))
      .map(([c, sub, ks]) => command(c, sub, ...ks)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(kw('flushall'), fc.constantFrom([], ['async'], ['SYNC'], ['now'], ['sync', 'sync']))
      .map(([c, mode]) => command(c, ...mode)),
  },
  { weight: 1, arbitrary: anyArgs(['rename', 'renamenx', 'unlink', 'touch', 'copy', 'object', 'flushall']) },
); // prettier-ignore

export const keyCommands: fc.Arbitrary<Command> = fc.oneof(
  { weight: 14, arbitrary: moreKeyCommands },
  { weight: 3, arbitrary: fc.tuple(kw('del'), keys()).map(([c, ks]) => command(c, ...ks)) },
  { weight: 3, arbitrary: fc.tuple(kw('exists'), keys()).map(([c, ks]) => command(c, ...ks)) },
  { weight: 2, arbitrary: fc.tuple(kw('type'), key).map(([c, k]) => command(c, k)) },
  { weight: 2, arbitrary: fc.tuple(kw('ttl'), key).map(([c, k]) => command(c, k)) },
  { weight: 2, arbitrary: fc.tuple(kw('pttl'), key).map(([c, k]) => command(c, k)) },
  { weight: 1, arbitrary: kw('dbsize').map((c) => command(c)) },
  { weight: 2, arbitrary: fc.tuple(kw('keys'), pattern).map(([c, p]) => command(c, p)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(kw('scan'), cursor, fc.array(scanOption, { maxLength: 3 }))
      .map(([c, at, options]) => command(c, at, ...options.flat())),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(kw('flushdb'), fc.constantFrom([], ['async'], ['SYNC'], ['now'], ['sync', 'sync']))
      .map(([c, mode]) => command(c, ...mode)),
  },
  { weight: 1, arbitrary: anyArgs(['del', 'exists', 'type', 'ttl', 'pttl', 'dbsize', 'keys', 'scan', 'flushdb']) },
);
