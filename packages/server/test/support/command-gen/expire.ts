// The expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX, XX, GT, LT: valid, clashing,
// unknown), PERSIST, EXPIRETIME, PEXPIRETIME; and each with a wrong number of arguments.
//
// Times are at least 100 s away or already past, so the moment each server runs a command cannot
// change what it does. GT and LT only come with the absolute commands: two relative times given in
// different milliseconds compare differently on the two servers (EXPIRE k 100 twice: GT succeeds
// on the server whose second command ran a millisecond later), and absolute ones (from 2100 on) lie
// beyond every relative one (at most about 31 years away).
import fc from 'fast-check';

import { anyArgs, command, key, kw, YEAR_2100, type Command } from './common.js';

/** Times refused or at the edges of a 64-bit millisecond count, the same whenever they run. */
const EDGES = [
  'abc', '', '1.5', '+100', '0x10',
  '9223372036854775', '9223372036854776', '-9223372036854775', '-9223372036854776',
  '9223372036854775807', '-9223372036854775808', '9223372036854775808',
]; // prettier-ignore

/** Relative seconds (`ms` false) or milliseconds: far enough, or not after now (the key is deleted). */
function relative(ms: boolean): fc.Arbitrary<string> {
  const scale = ms ? 1000 : 1;
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 100 * scale, max: 1_000_000_000 * scale }).map(String) },
    { weight: 1, arbitrary: fc.integer({ min: -1000, max: 0 }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom(...EDGES) },
  );
}

/** Absolute times in seconds (`ms` false) or milliseconds: from 2100 on, or long past. */
function absolute(ms: boolean): fc.Arbitrary<string> {
  const scale = ms ? 1000 : 1;
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: YEAR_2100, max: YEAR_2100 + 1000 }).map((s) => String(s * scale)) },
    { weight: 1, arbitrary: fc.constantFrom('1', '0', '-1', '1000000000') },
    { weight: 1, arbitrary: fc.constantFrom(...EDGES) },
  );
}

/** Conditions: mostly none or one, sometimes clashing, repeated or unknown. */
function conditions(withOrder: boolean): fc.Arbitrary<readonly string[]> {
  const names = withOrder ? ['nx', 'xx', 'gt', 'lt'] : ['nx', 'xx'];
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant([]) },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(...names)
        .chain(kw)
        .map((o) => [o]),
    },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(...names).chain(kw), { minLength: 2, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom(['foo'], ['nx', 'bar'], ['']) },
  );
}

const expireCommands: fc.Arbitrary<Command> = fc
  .oneof(
    { weight: 3, arbitrary: fc.tuple(kw('expire'), key, relative(false), conditions(false)) },
    { weight: 2, arbitrary: fc.tuple(kw('pexpire'), key, relative(true), conditions(false)) },
    { weight: 3, arbitrary: fc.tuple(kw('expireat'), key, absolute(false), conditions(true)) },
    { weight: 2, arbitrary: fc.tuple(kw('pexpireat'), key, absolute(true), conditions(true)) },
  )
  .map(([c, k, time, options]) => command(c, k, time, ...options));

export const expiry: fc.Arbitrary<Command> = fc.oneof(
  { weight: 10, arbitrary: expireCommands },
  { weight: 2, arbitrary: fc.tuple(kw('persist'), key).map(([c, k]) => command(c, k)) },
  { weight: 1, arbitrary: fc.tuple(kw('expiretime'), key).map(([c, k]) => command(c, k)) },
  { weight: 1, arbitrary: fc.tuple(kw('pexpiretime'), key).map(([c, k]) => command(c, k)) },
  { weight: 1, arbitrary: anyArgs(['expire', 'pexpire', 'expireat', 'pexpireat', 'persist', 'expiretime']) },
);
