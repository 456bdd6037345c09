// Sorted-set commands: ZADD (NX XX GT LT CH INCR in any order, repeated, clashing), ZINCRBY, ZREM,
// ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT, ZRANGE (by rank, BYSCORE, BYLEX, REV,
// LIMIT, WITHSCORES) and its older forms, ZRANGESTORE, ZREMRANGEBYRANK / BYSCORE / BYLEX, ZPOPMIN,
// ZPOPMAX, ZMPOP, ZUNION / ZINTER / ZDIFF and their STORE forms (WEIGHTS, AGGREGATE, WITHSCORES),
// ZINTERCARD, ZRANDMEMBER (its draws compared by shape, redis-diff.ts), ZSCAN; each with a wrong
// number of arguments. Left out: the blocking forms (they would block Redis on an empty key).
//
// Members come from a small pool of short strings, so sorted sets stay what Redis keeps as a
// listpack (at most 128 members of at most 64 bytes): its order for lexicographic ranges over mixed
// scores, its one-call ZSCAN and its -0 stored as 0 are what little-raft answers for every set.
import fc from 'fast-check';

import { anyArgs, command, floatText, integerText, key, keys, keyScan, kw, sometimes, type Command } from './common.js';

const member: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'm1', 'm2', 'm10', 'A') },
  { weight: 1, arbitrary: fc.constantFrom('', '\x00\xff', 'a b', '-', '+', '[a', '(a', '1.5', 'x'.repeat(64)) },
);

/** Scores: small integers (ties, so members order them), halves, Redis's float corner cases. */
const score: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 5 }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom('0.5', '-1.5', '2.5', '-0', '0', 'inf', '-inf', '+inf', '1e300') },
  { weight: 2, arbitrary: floatText },
  { weight: 1, arbitrary: integerText },
);

/** One end of a score range: a number, "(" before it, or something Redis refuses. */
const scoreBound: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('', '', '('), score).map(([p, s]) => p + s) },
  { weight: 1, arbitrary: fc.constantFrom('-inf', '+inf', '(-inf', '(+inf', '(', '', ' 1', '((1', '[1', 'nan', 'x') },
);

/** One end of a lexicographic range: "[" or "(" and a member, "-" or "+", or something Redis refuses. */
const lexBound: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('[', '('), member).map(([p, m]) => p + m) },
  { weight: 3, arbitrary: fc.constantFrom('-', '+') },
  { weight: 1, arbitrary: fc.constantFrom('a', '', '-a', '+a', '[', '(') },
);

/** Ranks: small ones of either sign, and integerText's edges and near misses. */
const rank: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -8, max: 8 }).map(String) },
  { weight: 1, arbitrary: integerText },
);

const smallCount: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -3, max: 12 }).map(String) },
  { weight: 1, arbitrary: integerText },
);

/** `name key min max`. */
function keyRange(name: string, bound: fc.Arbitrary<string>): fc.Arbitrary<Command> {
  return fc.tuple(kw(name), key, bound, bound).map(([c, k, a, b]) => command(c, k, a, b));
}

/** Flags in any order and case. */
function shuffledFlags(flags: readonly string[]): fc.Arbitrary<string[]> {
  return fc
    .shuffledSubarray([...flags], { minLength: flags.length, maxLength: flags.length })
    .chain((f) => (f.length === 0 ? fc.constant<string[]>([]) : fc.tuple(...f.map(kw))));
}

/**
 * ZRANDMEMBER's counts: small ones and edges, but no large negative count, for which redis-server
 * sends that many members (until memory runs out) and little-raft refuses.
 */
const randomCount: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -12, max: 12 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('-9223372036854775808', '9223372036854775807', 'x', '1.5', '', '-0') },
);

/** ZADD's options: mostly none, one, or a combination Redis takes; now and then any, clashing or repeated. */
const zaddOptions: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<string[]>([]) },
  { weight: 4, arbitrary: fc.constantFrom('nx', 'xx', 'gt', 'lt', 'ch').chain((f) => shuffledFlags([f])) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(['xx', 'gt'], ['xx', 'lt', 'ch'], ['nx', 'ch'], ['gt', 'ch'], ['ch', 'ch'], ['lt', 'xx', 'ch'])
      .chain(shuffledFlags),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.subarray(['nx', 'xx', 'gt', 'lt', 'ch', 'incr']), fc.constantFrom('nx', 'xx', 'gt', 'lt', 'ch', 'incr'))
      .chain(([flags, again]) => shuffledFlags([...flags, again])),
  },
);

/** ZADD ... INCR: one increment and member, with the flags INCR goes with (and now and then more pairs). */
const zaddIncr: fc.Arbitrary<Command> = fc
  .tuple(
    kw('zadd'),
    key,
    fc.constantFrom(['incr'], ['incr', 'nx'], ['incr', 'xx'], ['incr', 'gt'], ['incr', 'lt', 'xx'], ['incr', 'ch']),
    fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 2 }),
  )
  .chain(([c, k, flags, pairs]) => shuffledFlags(flags).map((f) => command(c, k, ...f, ...pairs.flat())));

/** ZRANGE's options after min max for a range kind: REV, WITHSCORES, LIMIT where they go, in any order. */
const rangeOptions: fc.Arbitrary<readonly string[]> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(
        fc.constantFrom('rank', 'byscore', 'bylex'),
        sometimes(kw('rev'), 1, 2),
        sometimes(kw('withscores'), 1, 2),
        sometimes(fc.tuple(kw('limit'), smallCount, smallCount), 1, 2),
      )
      .chain(([by, rev, withScores, limit]) => {
        const groups: string[][] = [];
        if (by !== 'rank') groups.push([by]);
        if (rev !== null) groups.push([rev]);
        // Rarely the combinations Redis refuses: WITHSCORES with BYLEX, LIMIT on ranks.
        if (withScores !== null && (by !== 'bylex' || (limit !== null && rev !== null))) groups.push([withScores]);
        if (limit !== null && (by !== 'rank' || (rev !== null && withScores !== null))) groups.push([...limit]);
        return fc.shuffledSubarray(groups, { minLength: groups.length, maxLength: groups.length }).map((g) => g.flat());
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(
        fc.oneof(
          fc.oneof(kw('byscore'), kw('bylex'), kw('rev'), kw('withscores')).map((o) => [o]),
          fc.tuple(kw('limit'), smallCount, smallCount),
          fc.constantFrom(['limit'], ['limit', '1'], ['foo']),
        ),
        { maxLength: 3 },
      )
      .map((o) => o.flat()),
  },
);

/** min and max for the range kind the options pick (else any kind: the errors). */
function rangeArgs(options: readonly string[]): fc.Arbitrary<[string, string]> {
  const has = (o: string): boolean => options.some((x) => x.toLowerCase() === o);
  if (has('bylex')) return fc.tuple(lexBound, lexBound);
  if (has('byscore')) return fc.tuple(scoreBound, scoreBound);
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(rank, rank) },
    { weight: 1, arbitrary: fc.tuple(scoreBound, lexBound) },
  );
}

/** `name key` (ZRANGESTORE: `name dst src`), then a range with options. */
function zrangeLike(name: string, keyCount: number): fc.Arbitrary<Command> {
  const store = keyCount === 2;
  return fc
    .tuple(kw(name), fc.array(key, { minLength: keyCount, maxLength: keyCount }), rangeOptions, fc.nat(7))
    .chain(([c, ks, options, dice]) => {
      // ZRANGESTORE takes no WITHSCORES: left out but now and then.
      const used = store && dice > 0 ? options.filter((o) => o.toLowerCase() !== 'withscores') : options;
      return rangeArgs(used).map(([min, max]) => command(c, ...ks, min, max, ...used));
    });
}

/**
 * ZRANGEBYSCORE and the other older forms, with the options each takes (WITHSCORES but for the lex
 * ones, LIMIT but for ZREVRANGE), and now and then one it refuses.
 */
function olderRange(name: string, bound: fc.Arbitrary<string>, scores: boolean, limit: boolean): fc.Arbitrary<Command> {
  const valid: fc.Arbitrary<readonly string[]>[] = [];
  if (scores) valid.push(kw('withscores').map((o) => [o]));
  if (limit) valid.push(fc.tuple(kw('limit'), smallCount, smallCount));
  const option = fc.oneof(
    { weight: 6, arbitrary: fc.oneof(...valid) },
    {
      weight: 1,
      arbitrary: fc.oneof(kw('rev'), kw('byscore'), kw('bylex'), kw('withscores'), kw('limit')).map((o) => [o]),
    },
  );
  return fc
    .tuple(kw(name), key, bound, bound, fc.array(option, { maxLength: 2 }))
    .map(([c, k, a, b, o]) => command(c, k, a, b, ...o.flat()));
}

/** numkeys: mostly right, sometimes zero, negative, too many, not a number. */
function numkeysFor(n: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(String(n)) },
    { weight: 1, arbitrary: fc.constantFrom('0', '-1', String(n + 1), 'x', '9223372036854775807') },
  );
}

type SetOperation = 'combine' | 'diff' | 'card';

/** The options of ZUNION and its kin: mostly ones the command takes, now and then any. */
function setOperationOption(n: number, kind: SetOperation, store: boolean): fc.Arbitrary<readonly string[]> {
  const weights = fc
    .tuple(kw('weights'), fc.array(score, { minLength: n, maxLength: n }), sometimes(score, 1, 8))
    .map(([w, ws, extra]) => [w, ...ws, ...(extra === null ? [] : [extra])]);
  const aggregate = fc.tuple(kw('aggregate'), fc.oneof(kw('sum'), kw('min'), kw('max'), fc.constant('avg')));
  const withScores = kw('withscores').map((o) => [o]);
  const limit = fc.tuple(kw('limit'), smallCount);
  const valid: fc.Arbitrary<readonly string[]>[] = [];
  if (kind === 'combine') valid.push(weights, aggregate);
  if (kind !== 'card' && !store) valid.push(withScores);
  if (kind === 'card') valid.push(limit);
  const any = fc.oneof(weights, aggregate, withScores, limit, fc.constantFrom(['weights'], ['aggregate'], ['foo']));
  return valid.length === 0
    ? any
    : fc.oneof({ weight: 6, arbitrary: fc.oneof(...valid) }, { weight: 1, arbitrary: any });
}

/** `name [destination] numkeys key ... options`. */
function setOperation(name: string, kind: SetOperation, store: boolean): fc.Arbitrary<Command> {
  return fc
    .tuple(kw(name), key, keys(3))
    .chain(([c, dst, ks]) =>
      fc
        .tuple(
          numkeysFor(ks.length),
          fc.array(setOperationOption(ks.length, kind, store), { maxLength: kind === 'diff' && store ? 1 : 2 }),
        )
        .map(([n, o]) => command(c, ...(store ? [dst] : []), n, ...ks, ...o.flat())),
    );
}

/** ZMPOP numkeys key ... MIN|MAX [COUNT n]. */
const zmpop: fc.Arbitrary<Command> = fc
  .tuple(kw('zmpop'), keys(3))
  .chain(([c, ks]) =>
    fc
      .tuple(
        numkeysFor(ks.length),
        fc.oneof(
          { weight: 6, arbitrary: fc.oneof(kw('min'), kw('max')) },
          { weight: 1, arbitrary: fc.constant('mid') },
        ),
        fc.oneof(
          { weight: 3, arbitrary: fc.constant([]) },
          { weight: 3, arbitrary: fc.tuple(kw('count'), smallCount) },
          { weight: 1, arbitrary: fc.constantFrom(['count'], ['count', '1', 'count', '2'], ['foo']) },
        ),
      )
      .map(([n, where, count]) => command(c, n, ...ks, where, ...count)),
  );

const scanOption: fc.Arbitrary<readonly string[]> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(kw('match'), fc.constantFrom('*', 'a*', '?', 'm[12]*', '[^a]', '\\*', '')) },
  { weight: 3, arbitrary: fc.tuple(kw('count'), fc.constantFrom('1', '10', '1000', '0', '-1', 'x')) },
  { weight: 1, arbitrary: fc.constantFrom(['type', 'zset'], ['count'], ['foo', 'bar']) },
);

export const zsets: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 14,
    arbitrary: fc
      .tuple(kw('zadd'), key, zaddOptions, fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 8 }))
      .chain(([c, k, o, pairs]) =>
        // Now and then a lone score: the syntax error.
        sometimes(score, 1, 12).map((odd) => command(c, k, ...o, ...pairs.flat(), ...(odd === null ? [] : [odd]))),
      ),
  },
  { weight: 3, arbitrary: zaddIncr },
  { weight: 4, arbitrary: fc.tuple(kw('zincrby'), key, score, member).map(([c, k, s, m]) => command(c, k, s, m)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(kw('zrem'), key, fc.array(member, { minLength: 1, maxLength: 4 }))
      .map(([c, k, ms]) => command(c, k, ...ms)),
  },
  { weight: 2, arbitrary: fc.tuple(kw('zcard'), key).map(([c, k]) => command(c, k)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.oneof(kw('zscore'), kw('zrank'), kw('zrevrank')), key, member)
      .map(([c, k, m]) => command(c, k, m)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(kw('zmscore'), key, fc.array(member, { minLength: 1, maxLength: 4 }))
      .map(([c, k, ms]) => command(c, k, ...ms)),
  },
  { weight: 2, arbitrary: keyRange('zcount', scoreBound) },
  { weight: 2, arbitrary: keyRange('zlexcount', lexBound) },
  { weight: 8, arbitrary: zrangeLike('zrange', 1) },
  { weight: 3, arbitrary: zrangeLike('zrangestore', 2) },
  { weight: 2, arbitrary: olderRange('zrevrange', rank, true, false) },
  { weight: 2, arbitrary: olderRange('zrangebyscore', scoreBound, true, true) },
  { weight: 2, arbitrary: olderRange('zrevrangebyscore', scoreBound, true, true) },
  { weight: 2, arbitrary: olderRange('zrangebylex', lexBound, false, true) },
  { weight: 2, arbitrary: olderRange('zrevrangebylex', lexBound, false, true) },
  { weight: 1, arbitrary: keyRange('zremrangebyrank', rank) },
  { weight: 1, arbitrary: keyRange('zremrangebyscore', scoreBound) },
  { weight: 1, arbitrary: keyRange('zremrangebylex', lexBound) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.oneof(kw('zpopmin'), kw('zpopmax')), key, sometimes(smallCount, 1, 2))
      .map(([c, k, n]) => command(c, k, ...(n === null ? [] : [n]))),
  },
  { weight: 2, arbitrary: zmpop },
  { weight: 2, arbitrary: setOperation('zunion', 'combine', false) },
  { weight: 2, arbitrary: setOperation('zinter', 'combine', false) },
  { weight: 1, arbitrary: setOperation('zdiff', 'diff', false) },
  { weight: 2, arbitrary: setOperation('zunionstore', 'combine', true) },
  { weight: 2, arbitrary: setOperation('zinterstore', 'combine', true) },
  { weight: 1, arbitrary: setOperation('zdiffstore', 'diff', true) },
  { weight: 1, arbitrary: setOperation('zintercard', 'card', false) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        kw('zrandmember'),
        key,
        fc.oneof(
          { weight: 1, arbitrary: fc.constant([]) },
          { weight: 3, arbitrary: randomCount.map((n) => [n]) },
          {
            weight: 2,
            arbitrary: fc.tuple(
              fc.oneof(randomCount, fc.constantFrom('4611686018427387904', '-4611686018427387904')),
              kw('withscores'),
            ),
          },
          {
            weight: 1,
            arbitrary: fc.tuple(randomCount, fc.constantFrom('foo', 'withscores')).map(([n, o]) => [n, o, 'x']),
          },
        ),
      )
      .map(([c, k, rest]) => command(c, k, ...rest)),
  },
  {
    weight: 2,
    arbitrary: keyScan('zscan', fc.constantFrom('0', '0', '1', '-1', 'x', '18446744073709551616'), scanOption),
  },
  // Wrong arity: ZADD and ZINCRBY with short arguments only (anyArgs' long values would make a
  // member longer than a listpack's), the others with anything.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.oneof(kw('zadd'), kw('zincrby')), fc.array(fc.oneof(key, score, member), { maxLength: 2 }))
      .map(([c, args]) => command(c, ...args)),
  },
  {
    weight: 2,
    arbitrary: anyArgs([
      'zrem', 'zcard', 'zscore', 'zmscore', 'zrank', 'zrevrank', 'zcount', 'zlexcount',
      'zrange', 'zrangestore', 'zrevrange', 'zrangebyscore', 'zrevrangebyscore', 'zrangebylex',
      'zrevrangebylex', 'zremrangebyrank', 'zremrangebyscore', 'zremrangebylex', 'zpopmin', 'zpopmax',
      'zmpop', 'zunion', 'zinter', 'zdiff', 'zunionstore', 'zinterstore', 'zdiffstore', 'zintercard',
      'zrandmember', 'zscan',
    ]), // prettier-ignore
  },
);
