// Set commands, as command-table.ts has them: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD,
// SPOP, SRANDMEMBER, SMOVE, SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE,
// SSCAN; and each but SPOP and SRANDMEMBER with a wrong number of arguments (any argument could be
// a count that pops at random, or a large negative one Redis would build that many picks for). Members come from a pool of integers (Redis's
// intsets, answered in ascending order) and other strings. SPOP only takes counts whose effect
// randomness cannot decide (0, the whole set, refused ones): a random pop would leave the two
// servers holding different sets.
import fc from 'fast-check';

import { anyArgs, command, key, keys, kw, type Command } from './common.js';
import { collectionScan, randomCount } from './hashes.js';

/** Set members: integers as Redis reads them (and near misses), other strings, binary, empty. */
const member: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 12 }).map(String) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('9223372036854775807', '-9223372036854775808', '9223372036854775808', '01', '+1', '-0'),
  },
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', 'c', 'm\x00\xff', '', 'x y') },
);

function members(max = 5): fc.Arbitrary<string[]> {
  return fc.array(member, { minLength: 1, maxLength: max });
}

/** SINTERCARD numkeys key... [LIMIT n]: a right count of keys mostly, and the refused variants. */
const sintercard: fc.Arbitrary<Command> = fc
  .tuple(
    kw('sintercard'),
    keys(3),
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom('0', '-1', 'x', '9', '99999999999999999999') },
    ),
    fc.array(
      fc.oneof(
        fc.tuple(kw('limit'), fc.constantFrom('0', '1', '2', '100', '-1', 'x', '9223372036854775807')),
        fc.constantFrom(['limit'], ['foo', '1']),
      ),
      { maxLength: 2 },
    ),
  )
  .map(([c, ks, numkeys, options]) => command(c, numkeys ?? String(ks.length), ...ks, ...options.flat()));

export const sets: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(kw('sadd'), key, members()).map(([c, k, ms]) => command(c, k, ...ms)) },
  { weight: 3, arbitrary: fc.tuple(kw('srem'), key, members()).map(([c, k, ms]) => command(c, k, ...ms)) },
  { weight: 3, arbitrary: fc.tuple(kw('smembers'), key).map(([c, k]) => command(c, k)) },
  { weight: 2, arbitrary: fc.tuple(kw('sismember'), key, member).map(([c, k, m]) => command(c, k, m)) },
  { weight: 1, arbitrary: fc.tuple(kw('smismember'), key, members()).map(([c, k, ms]) => command(c, k, ...ms)) },
  { weight: 2, arbitrary: fc.tuple(kw('scard'), key).map(([c, k]) => command(c, k)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(kw('spop'), key, fc.constantFrom(['0'], ['100000'], ['9223372036854775807'], ['-1'], ['x'], ['1', '2']))
      .map(([c, k, rest]) => command(c, k, ...rest)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(kw('srandmember'), key, fc.option(randomCount))
      .map(([c, k, n]) => command(c, k, ...(n === null ? [] : [n]))),
  },
  { weight: 2, arbitrary: fc.tuple(kw('smove'), key, key, member).map(([c, a, b, m]) => command(c, a, b, m)) },
  { weight: 2, arbitrary: fc.tuple(kw('sinter'), keys(3)).map(([c, ks]) => command(c, ...ks)) },
  { weight: 2, arbitrary: sintercard },
  { weight: 1, arbitrary: fc.tuple(kw('sinterstore'), key, keys(3)).map(([c, d, ks]) => command(c, d, ...ks)) },
  { weight: 2, arbitrary: fc.tuple(kw('sunion'), keys(3)).map(([c, ks]) => command(c, ...ks)) },
  { weight: 1, arbitrary: fc.tuple(kw('sunionstore'), key, keys(3)).map(([c, d, ks]) => command(c, d, ...ks)) },
  { weight: 2, arbitrary: fc.tuple(kw('sdiff'), keys(3)).map(([c, ks]) => command(c, ...ks)) },
  { weight: 1, arbitrary: fc.tuple(kw('sdiffstore'), key, keys(3)).map(([c, d, ks]) => command(c, d, ...ks)) },
  { weight: 2, arbitrary: collectionScan('sscan') },
  {
    weight: 1,
    arbitrary: anyArgs([
      'sadd', 'srem', 'smembers', 'sismember', 'smismember', 'scard', 'smove', 'sinter', 'sintercard',
      'sinterstore', 'sunion', 'sunionstore', 'sdiff', 'sdiffstore', 'sscan',
    ]),
  },
); // prettier-ignore
