// Hash commands, as command-table.ts has them: HSET, HSETNX, HGET, HMGET, HMSET, HDEL, HLEN,
// HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN; and each but
// HRANDFIELD with a wrong number of arguments (any argument: a large negative count would make
// Redis build that many picks). Fields come from a small pool (so commands meet on them), values from
// `value` (its long ones turn a Redis hash into a hash table, whose order redis-diff.ts then
// leaves open).
import fc from 'fast-check';

import { anyArgs, command, floatText, integerText, key, keyScan, kw, value, type Command } from './common.js';

/** Hash fields: a few common ones, an empty one, binary, integer-looking, a long one. */
const field: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('f0', 'f1', 'f2', 'f3') },
  { weight: 1, arbitrary: fc.constantFrom('', 'f\x00\xff', '1', '-2', 'F0', 'x'.repeat(70)) },
);

function fields(max = 4): fc.Arbitrary<string[]> {
  return fc.array(field, { minLength: 1, maxLength: max });
}

const pairs = fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 4 }).map((ps) => ps.flat());

/** HSCAN / SSCAN cursors: 0 mostly; others (little-raft reads them differently, see redis-diff.ts). */
const collectionCursor: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('0', '+0', '00') },
  { weight: 1, arbitrary: fc.constantFrom('1', '7', '18446744073709551615', '-1') },
  { weight: 1, arbitrary: fc.constantFrom('abc', '', '1.5', ' 0', '18446744073709551616') },
);

/** HSCAN / SSCAN options: MATCH, COUNT, and what they refuse (TYPE, NOVALUES, a missing value). */
const collectionScanOption: fc.Arbitrary<readonly string[]> = fc.oneof(
  fc.tuple(kw('match'), fc.constantFrom('*', 'f*', '?', '*1*', 'f[0-1]', '', '[', '\\')),
  fc.tuple(kw('count'), fc.constantFrom('1', '2', '10', '1000', '0', '-1', 'x', '9223372036854775807')),
  fc.constantFrom(['type', 'hash'], ['novalues'], ['count'], ['match'], ['foo', 'bar']),
);

/** HSCAN or SSCAN (`name`) of a key from the pool. */
export function collectionScan(name: string): fc.Arbitrary<Command> {
  return keyScan(name, collectionCursor, collectionScanOption);
}

/**
 * HRANDFIELD / SRANDMEMBER counts: small, the edges of their ranges, not integers. Never a large
 * negative count Redis accepts: it would build that many picks (until it runs out of memory).
 */
export const randomCount: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -6, max: 6 }).map(String) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '9223372036854775807', '-9223372036854775808', '9223372036854775808', '4611686018427387903',
      '4611686018427387904', 'x', '1.5', '',
    ),
  },
); // prettier-ignore

export const hashes: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(kw('hset'), key, pairs).map(([c, k, p]) => command(c, k, ...p)) },
  { weight: 2, arbitrary: fc.tuple(kw('hmset'), key, pairs).map(([c, k, p]) => command(c, k, ...p)) },
  { weight: 2, arbitrary: fc.tuple(kw('hsetnx'), key, field, value).map(([c, k, f, v]) => command(c, k, f, v)) },
  { weight: 3, arbitrary: fc.tuple(kw('hget'), key, field).map(([c, k, f]) => command(c, k, f)) },
  { weight: 2, arbitrary: fc.tuple(kw('hmget'), key, fields()).map(([c, k, fs]) => command(c, k, ...fs)) },
  { weight: 3, arbitrary: fc.tuple(kw('hdel'), key, fields()).map(([c, k, fs]) => command(c, k, ...fs)) },
  { weight: 1, arbitrary: fc.tuple(kw('hlen'), key).map(([c, k]) => command(c, k)) },
  { weight: 1, arbitrary: fc.tuple(kw('hstrlen'), key, field).map(([c, k, f]) => command(c, k, f)) },
  { weight: 1, arbitrary: fc.tuple(kw('hexists'), key, field).map(([c, k, f]) => command(c, k, f)) },
  { weight: 1, arbitrary: fc.tuple(kw('hkeys'), key).map(([c, k]) => command(c, k)) },
  { weight: 1, arbitrary: fc.tuple(kw('hvals'), key).map(([c, k]) => command(c, k)) },
  { weight: 3, arbitrary: fc.tuple(kw('hgetall'), key).map(([c, k]) => command(c, k)) },
  {
    weight: 3,
    arbitrary: fc.tuple(kw('hincrby'), key, field, integerText).map(([c, k, f, n]) => command(c, k, f, n)),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(kw('hincrbyfloat'), key, field, fc.oneof(floatText, integerText))
      .map(([c, k, f, n]) => command(c, k, f, n)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        kw('hrandfield'),
        key,
        fc.option(fc.tuple(randomCount, fc.option(fc.oneof(kw('withvalues'), fc.constant('withvalue'))))),
      )
      .map(([c, k, o]) => command(c, k, ...(o === null ? [] : [o[0], ...(o[1] === null ? [] : [o[1]])]))),
  },
  { weight: 2, arbitrary: collectionScan('hscan') },
  {
    weight: 1,
    arbitrary: anyArgs([
      'hset', 'hsetnx', 'hget', 'hmget', 'hmset', 'hdel', 'hlen', 'hstrlen', 'hexists', 'hkeys', 'hvals',
      'hgetall', 'hincrby', 'hincrbyfloat', 'hscan',
    ]),
  },
); // prettier-ignore
