// String commands: GET, SET (NX, XX, GET, KEEPTTL, EX, PX, EXAT, PXAT, in any order, repeated,
// clashing), INCR, INCRBY, DECR, DECRBY, APPEND, STRLEN, MGET, MSET, GETDEL, SETEX, PSETEX, SETNX,
// GETSET, GETEX, MSETNX, INCRBYFLOAT, GETRANGE, SUBSTR, SETRANGE, LCS; and each with a wrong number
// of arguments.
import fc from 'fast-check';

import {
  anyArgs,
  command,
  expiry,
  floatText,
  integerText,
  key,
  keys,
  kw,
  sometimes,
  value,
  type Command,
} from './common.js';

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

/** SETEX / PSETEX times: far enough away (seconds or ms), or refused. */
const setexTime = (ms: boolean): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 100 * (ms ? 1000 : 1), max: 10 ** 9 }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom('0', '-1', 'abc', '1.5', '9223372036854775', '9223372036854775807') },
  );

/** GETEX's options: an expiry, PERSIST, or what GETEX refuses (SET's options, clashes, a missing value). */
const getexOptions: fc.Arbitrary<readonly string[]> = fc.oneof(
  { weight: 2, arbitrary: fc.constant([]) },
  { weight: 4, arbitrary: expiry },
  { weight: 2, arbitrary: kw('persist').map((o) => [o]) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(['persist', 'persist'], ['ex', '100', 'px', '100000'], ['persist', 'ex', '100'], ['ex'], ['nx'], ['keepttl'], ['get'], ['foo']),
  },
); // prettier-ignore

/** Byte offsets and range ends: small ones, around the ends, 64-bit edges, refused ones; never a huge allocation. */
const offset: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -12, max: 40 }).map(String) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('9223372036854775807', '-9223372036854775808', '536870911', '536870912', 'x', '1.5', ''),
  },
);

/** LCS's options, valid or not. */
const lcsOption: fc.Arbitrary<readonly string[]> = fc.oneof(
  kw('len').map((o) => [o]),
  kw('idx').map((o) => [o]),
  kw('withmatchlen').map((o) => [o]),
  fc.tuple(kw('minmatchlen'), fc.constantFrom('0', '1', '2', '3', '-1', 'x', '9223372036854775807')),
  fc.constantFrom(['minmatchlen'], ['foo']),
);

/** Commands of strings.ts beyond the first ones: SETEX ... LCS. */
const moreStrings: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(kw('setex'), key, setexTime(false), value).map(([c, k, s, v]) => command(c, k, s, v)) },
  { weight: 1, arbitrary: fc.tuple(kw('psetex'), key, setexTime(true), value).map(([c, k, s, v]) => command(c, k, s, v)) },
  { weight: 2, arbitrary: fc.tuple(kw('setnx'), key, value).map(([c, k, v]) => command(c, k, v)) },
  { weight: 2, arbitrary: fc.tuple(kw('getset'), key, value).map(([c, k, v]) => command(c, k, v)) },
  { weight: 3, arbitrary: fc.tuple(kw('getex'), key, getexOptions).map(([c, k, o]) => command(c, k, ...o)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(kw('msetnx'), fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 }), sometimes(key, 1, 8))
      .map(([c, pairs, odd]) => command(c, ...pairs.flat(), ...(odd === null ? [] : [odd]))),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(kw('incrbyfloat'), key, fc.oneof(floatText, integerText))
      .map(([c, k, n]) => command(c, k, n)),
  },
  { weight: 2, arbitrary: fc.tuple(fc.oneof(kw('getrange'), kw('substr')), key, offset, offset).map(([c, k, a, b]) => command(c, k, a, b)) },
  {
    weight: 3,
    // At offset 536870911 a byte makes redis-server allocate 512 MB (and the read-back GET it);
    // this server stops 24 bytes short (V8's longest string). The edge is kept with no bytes.
    arbitrary: fc
      .tuple(kw('setrange'), key, offset, value)
      .map(([c, k, o, v]) => command(c, k, o, o === '536870911' ? '' : v)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(kw('lcs'), key, key, fc.array(lcsOption, { maxLength: 3 }))
      .map(([c, a, b, o]) => command(c, a, b, ...o.flat())),
  },
  {
    weight: 1,
    arbitrary: anyArgs(['setex', 'psetex', 'setnx', 'getset', 'getex', 'msetnx', 'incrbyfloat', 'getrange', 'substr', 'setrange', 'lcs']),
  },
); // prettier-ignore

export const strings: fc.Arbitrary<Command> = fc.oneof(
  { weight: 25, arbitrary: moreStrings },
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
