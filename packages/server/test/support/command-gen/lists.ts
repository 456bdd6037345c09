// List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP (with a count), LLEN, LINDEX, LSET, LRANGE,
// LTRIM, LREM, LINSERT, LPOS (RANK, COUNT, MAXLEN), LMOVE, RPOPLPUSH, LMPOP; the blocking BLPOP,
// BRPOP, BLMOVE, BRPOPLPUSH and BLMPOP with timeouts that end at once or soon (an empty key times
// out on both servers: a stream has no second connection to push to it); each with a wrong number
// of arguments.
import fc from 'fast-check';

import { anyArgs, command, integerText, key, keys, kw, sometimes, value, type Command } from './common.js';

/** Elements: short ones that repeat (so LREM, LPOS and LINSERT find them) and any value. */
const element: fc.Arbitrary<Uint8Array | string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', 'c', '') },
  { weight: 1, arbitrary: value },
);

/** Indexes and counts: small ones, either sign, and every integer edge and near miss. */
const index: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -8, max: 8 }).map(String) },
  { weight: 1, arbitrary: integerText },
);

const end: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(kw('left'), kw('right')) },
  { weight: 1, arbitrary: fc.constantFrom('up', '', 'lef') },
);

/**
 * Timeouts of the blocking commands: short ones (an empty key answers nil when they pass), and
 * every kind Redis refuses. Never 0 or one Redis reads as 0 (-0.0001): that would wait forever.
 */
const timeout: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('0.01', '0.002', '.01') },
  { weight: 1, arbitrary: fc.constantFrom('abc', '-1', '-0.5', 'inf', '-inf', '1e400', 'nan', '', '1e5000', '0x10') },
);

const lposOption: fc.Arbitrary<readonly string[]> = fc.oneof(
  fc.tuple(kw('rank'), fc.oneof(fc.constantFrom('1', '2', '-1', '-2', '0', '-9223372036854775808'), index)),
  fc.tuple(kw('count'), fc.oneof(fc.constantFrom('0', '1', '2'), index)),
  fc.tuple(kw('maxlen'), fc.oneof(fc.constantFrom('0', '1', '3'), index)),
  fc.constantFrom(['rank'], ['count'], ['foo', '1']),
);

/** numkeys, then that many keys (or a number that does not match them), the end, maybe COUNT. */
const mpopArgs: fc.Arbitrary<string[]> = fc
  .tuple(
    keys(3),
    sometimes(fc.constantFrom('0', '-1', 'abc', '4', '9223372036854775807', '9223372036854775808'), 1, 8),
    end,
    sometimes(fc.tuple(kw('count'), fc.oneof(fc.constantFrom('1', '2', '10', '0', '-1'), index)), 1, 2),
    sometimes(fc.constantFrom(['count', '1'], ['foo'], ['count']), 1, 10),
  )
  .map(([ks, numkeys, where, count, extra]) => [
    numkeys ?? String(ks.length),
    ...ks,
    where,
    ...(count ?? []),
    ...(extra ?? []),
  ]);

export const lists: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.oneof(kw('lpush'), kw('rpush')), key, fc.array(element, { minLength: 1, maxLength: 5 }))
      .map(([c, k, es]) => command(c, k, ...es)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(kw('lpushx'), kw('rpushx')), key, fc.array(element, { minLength: 1, maxLength: 3 }))
      .map(([c, k, es]) => command(c, k, ...es)),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.oneof(kw('lpop'), kw('rpop')), key, sometimes(index, 1, 2))
      .map(([c, k, n]) => command(c, k, ...(n === null ? [] : [n]))),
  },
  { weight: 2, arbitrary: fc.tuple(kw('llen'), key).map(([c, k]) => command(c, k)) },
  { weight: 2, arbitrary: fc.tuple(kw('lindex'), key, index).map(([c, k, i]) => command(c, k, i)) },
  { weight: 2, arbitrary: fc.tuple(kw('lset'), key, index, element).map(([c, k, i, e]) => command(c, k, i, e)) },
  { weight: 3, arbitrary: fc.tuple(kw('lrange'), key, index, index).map(([c, k, a, b]) => command(c, k, a, b)) },
  { weight: 2, arbitrary: fc.tuple(kw('ltrim'), key, index, index).map(([c, k, a, b]) => command(c, k, a, b)) },
  { weight: 2, arbitrary: fc.tuple(kw('lrem'), key, index, element).map(([c, k, n, e]) => command(c, k, n, e)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(kw('linsert'), key, fc.oneof(kw('before'), kw('after'), fc.constant('middle')), element, element)
      .map(([c, k, where, pivot, e]) => command(c, k, where, pivot, e)),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(kw('lpos'), key, element, fc.array(lposOption, { maxLength: 3 }))
      .map(([c, k, e, options]) => command(c, k, e, ...options.flat())),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(kw('lmove'), key, key, end, end).map(([c, s, d, a, b]) => command(c, s, d, a, b)),
  },
  { weight: 2, arbitrary: fc.tuple(kw('rpoplpush'), key, key).map(([c, s, d]) => command(c, s, d)) },
  { weight: 2, arbitrary: fc.tuple(kw('lmpop'), mpopArgs).map(([c, args]) => command(c, ...args)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.oneof(kw('blpop'), kw('brpop')), keys(3), timeout)
      .map(([c, ks, t]) => command(c, ...ks, t)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(kw('blmove'), key, key, end, end, timeout)
      .map(([c, s, d, a, b, t]) => command(c, s, d, a, b, t)),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(kw('brpoplpush'), key, key, timeout).map(([c, s, d, t]) => command(c, s, d, t)),
  },
  { weight: 1, arbitrary: fc.tuple(kw('blmpop'), timeout, mpopArgs).map(([c, t, args]) => command(c, t, ...args)) },
  {
    weight: 1,
    arbitrary: anyArgs([
      'lpush', 'rpush', 'lpushx', 'rpushx', 'lpop', 'rpop', 'llen', 'lindex', 'lset', 'lrange', 'ltrim', 'lrem',
      'linsert', 'lpos', 'lmove', 'rpoplpush', 'lmpop',
    ]),
  },
  // The blocking ones with a wrong number of arguments (not from anyArgs: a random last argument
  // such as 0 would make a timeout that waits forever).
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        ['blpop'], ['blpop', 'k0'], ['brpop', 'k1'], ['blmove', 'k0', 'k1', 'left', 'right'],
        ['blmove', 'k0', 'k1', 'left', 'right', '0.01', 'x'], ['brpoplpush', 'k0', 'k1'],
        ['brpoplpush', 'k0', 'k1', '0.01', 'x'], ['blmpop', '0.01', '1', 'k0'], ['blmpop'],
      )
      .chain((args) => kw(args[0]).map((c) => command(c, ...args.slice(1)))),
  },
); // prettier-ignore
