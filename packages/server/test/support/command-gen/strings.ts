// String commands, as command-table.ts has them today: GET, SET (NX, XX, GET, KEEPTTL, EX, PX, EXAT,
// PXAT, in any order, repeated, clashing), INCR, INCRBY, DECR, DECRBY, APPEND, STRLEN, MGET, MSET,
// GETDEL; and each with a wrong number of arguments.
import fc from 'fast-check';

import { anyArgs, command, expiry, integerText, key, keys, kw, sometimes, value, type Command } from './common.js';

/** One SET option: a flag, an expiry, or something SET refuses (an unknown word, EX without a value). */
const setOption: fc.Arbitrary<readonly string[]> = fc.oneof(
  { weight: 2, arbitrary: kw('nx').map((o) => [o]) },
  { weight: 2, arbitrary: kw('xx').map((o) => [o]) },
  { weight: 2, arbitrary: kw('get').map((o) => [o]) },
  { weight: 2, arbitrary: kw('keepttl').map((o) => [o]) },
  { weight: 4, arbitrary: expiry },
  { weight: 1, arbitrary: fc.constantFrom(['ex'], ['px'], ['foo'], ['NXX'], ['ex', '100', '200'], ['']) },
);

/** SET's options as Redis takes them (at most one of NX / XX, GET, one of an expiry / KEEPTTL), in any order. */
const validSetOptions: fc.Arbitrary<string[]> = fc
  .tuple(
    sometimes(fc.oneof(kw('nx'), kw('xx')), 1, 3),
    sometimes(kw('get'), 1, 3),
    sometimes(
      fc.oneof({ weight: 3, arbitrary: expiry }, { weight: 1, arbitrary: kw('keepttl').map((o) => [o]) }),
      1,
      2,
    ),
  )
  .chain(([condition, get, ttl]) => {
    const groups = [condition, get, ttl].filter((g) => g !== null).map((g) => (typeof g === 'string' ? [g] : g));
    return fc.shuffledSubarray(groups, { minLength: groups.length, maxLength: groups.length });
  })
  .map((groups) => groups.flat());

export const strings: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(kw('get'), key).map(([c, k]) => command(c, k)) },
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        kw('set'),
        key,
        value,
        fc.oneof(
          { weight: 4, arbitrary: validSetOptions },
          { weight: 1, arbitrary: fc.array(setOption, { maxLength: 3 }).map((o) => o.flat()) },
        ),
      )
      .map(([c, k, v, options]) => command(c, k, v, ...options)),
  },
  { weight: 3, arbitrary: fc.tuple(kw('incr'), key).map(([c, k]) => command(c, k)) },
  { weight: 2, arbitrary: fc.tuple(kw('decr'), key).map(([c, k]) => command(c, k)) },
  { weight: 3, arbitrary: fc.tuple(kw('incrby'), key, integerText).map(([c, k, n]) => command(c, k, n)) },
  { weight: 3, arbitrary: fc.tuple(kw('decrby'), key, integerText).map(([c, k, n]) => command(c, k, n)) },
  { weight: 3, arbitrary: fc.tuple(kw('append'), key, value).map(([c, k, v]) => command(c, k, v)) },
  { weight: 2, arbitrary: fc.tuple(kw('strlen'), key).map(([c, k]) => command(c, k)) },
  { weight: 2, arbitrary: fc.tuple(kw('mget'), keys(5)).map(([c, ks]) => command(c, ...ks)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(kw('mset'), fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 4 }), sometimes(key, 1, 8))
      .map(([c, pairs, odd]) => command(c, ...pairs.flat(), ...(odd === null ? [] : [odd]))),
  },
  { weight: 2, arbitrary: fc.tuple(kw('getdel'), key).map(([c, k]) => command(c, k)) },
  {
    weight: 1,
    arbitrary: anyArgs([
      'get',
      'set',
      'incr',
      'incrby',
      'decr',
      'decrby',
      'append',
      'strlen',
      'mget',
      'mset',
      'getdel',
    ]),
  },
);
