// SORT and SORT_RO: BY (patterns naming keys of the pool, hash fields, and constants: no sort),
// LIMIT, GET (#, patterns, hash fields), ASC / DESC, ALPHA, STORE, in any order and case, and
// refused options. Elements meet the pool's keys through patterns like "k*" (element 0 names k0).
// Two things are left out, where Redis's answer is not one little-raft can give:
//   - ALPHA with a BY pattern: equal BY values come out in an order Redis's sort leaves open;
//   - a numeric sort that STOREs: Redis 7.0.15 refuses any non-integer while its errno is left at
//     ERANGE by an earlier strtod (a ZADD of 5e-324 ...), and would then store nothing where
//     little-raft stores the list (an answered one is excused in redis-diff.ts).
import fc from 'fast-check';

import { anyArgs, command, key, kw, type Command } from './common.js';

/** BY patterns that name keys (and hash fields) of the pool, and constants (no sort). */
const byPattern: fc.Arbitrary<string> = fc.constantFrom('k*', '*', 'k*->f', '*->a', 'K*', 'nosort', 'k0', '');
const getPattern: fc.Arbitrary<string> = fc.constantFrom('#', 'k*', '*', 'k*->f', '*->1', 'k0', '#x', 'k*->');

const limit: fc.Arbitrary<string[]> = fc.tuple(
  kw('limit'),
  fc.oneof(
    fc.integer({ min: -2, max: 6 }).map(String),
    fc.constantFrom('x', '9223372036854775807', '-9223372036854775808'),
  ),
  fc.oneof(fc.integer({ min: -2, max: 6 }).map(String), fc.constantFrom('1.5', '9223372036854775807')),
);

/** One option of a numeric or constant-BY sort (no ALPHA with a real pattern, see above). */
const option = (alpha: boolean): fc.Arbitrary<readonly string[]> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.oneof(kw('asc'), kw('desc')).map((o) => [o]) },
    { weight: 2, arbitrary: limit },
    { weight: 3, arbitrary: fc.tuple(kw('get'), getPattern) },
    {
      weight: 2,
      arbitrary: alpha ? fc.tuple(kw('by'), fc.constantFrom('nosort', 'k0', '')) : fc.tuple(kw('by'), byPattern),
    },
    { weight: 1, arbitrary: fc.constantFrom(['foo'], ['limit', '1'], ['by'], ['get']) },
  );

/** SORT / SORT_RO with options; `store`: a STORE at a random place. */
function sort(name: string, alpha: boolean, store: boolean): fc.Arbitrary<Command> {
  return fc
    .tuple(
      kw(name),
      key,
      fc.array(option(alpha), { maxLength: 4 }),
      store ? fc.tuple(kw('store'), key) : fc.constant([]),
    )
    .chain(([c, k, options, storeOption]) => {
      const groups: (readonly string[])[] = [...options, ...(alpha ? [['ALPHA']] : [])];
      if (storeOption.length > 0) groups.push(storeOption);
      return fc
        .shuffledSubarray(groups, { minLength: groups.length, maxLength: groups.length })
        .map((g) => command(c, k, ...g.flat()));
    });
}

export const sortCommands: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: sort('sort', false, false) },
  { weight: 3, arbitrary: sort('sort', true, false) },
  { weight: 3, arbitrary: sort('sort', true, true) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(kw('sort'), key, fc.oneof(kw('asc'), kw('desc')), kw('by'), kw('store'), key)
      .map(([c, k, order, by, store, dest]) => command(c, k, order, by, 'nosort', store, dest)),
  },
  { weight: 2, arbitrary: sort('sort_ro', false, false) },
  { weight: 1, arbitrary: sort('sort_ro', true, false) },
  { weight: 1, arbitrary: fc.tuple(kw('sort_ro'), key, kw('store'), key).map(([c, k, s, d]) => command(c, k, s, d)) },
  // Any arguments (SORT_RO has no STORE).
  { weight: 1, arbitrary: anyArgs(['sort_ro']) },
  { weight: 1, arbitrary: fc.constantFrom(command('sort'), command('sort_ro')) },
); // prettier-ignore
