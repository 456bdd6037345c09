// Bitmap commands: SETBIT, GETBIT, BITCOUNT and BITPOS (BYTE | BIT ranges), BITOP, BITFIELD (GET,
// SET, INCRBY, OVERFLOW, '#' offsets, in any order and case) and BITFIELD_RO; and each with a wrong
// number of arguments or a refused argument. A write never reaches far: Redis would grow the string
// to any offset below 2^32 bits (512 MB), where little-raft stops at its longest string (a
// deliberate difference, tested in test/store/bitmaps.test.ts), so written offsets stay small and
// only reads and refused offsets go far.
import fc from 'fast-check';

import { anyArgs, command, integerText, key, keys, kw, type Command } from './common.js';

/** Bit offsets a write may take: small ones, and refused ones (negative, 2^32, not integers). */
const writeOffset: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 100 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('-1', '4294967296', '9223372036854775807', 'x', '1.5', '', '#1', '01') },
);

/** Bit offsets a read may take: any a write may, and far ones up to the last of 2^32. */
const readOffset: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: writeOffset },
  { weight: 1, arbitrary: fc.constantFrom('4294967295', '4294967232', '1000000') },
);

/** Range ends of BITCOUNT / BITPOS: small, around the ends of a short string, and 64-bit edges. */
const rangeEnd: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -40, max: 60 }).map(String) },
  { weight: 1, arbitrary: integerText },
);

/** BYTE / BIT, or a word neither. */
const unit: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(kw('byte'), kw('bit')) },
  { weight: 1, arbitrary: fc.constantFrom('bits', '', 'x', 'bit\x00') },
);

/** BITFIELD types: widths that matter (1, 8, 63, 64 ...), and refused ones. */
const fieldType: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.constantFrom('i', 'u'),
        fc.oneof(fc.integer({ min: 1, max: 16 }), fc.constantFrom(31, 32, 33, 53, 63, 64)),
      )
      .map(([sign, bits]) => `${sign}${String(sign === 'u' && bits === 64 ? 63 : bits)}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('u64', 'i65', 'i0', 'U8', 'I8', '8', 'u', 'u08', 'x') },
);

/** A BITFIELD offset: plain, or '#n' (n times the type's width). */
const fieldOffset = (write: boolean): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: write ? writeOffset : readOffset },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 9 }).map((n) => `#${String(n)}`) },
    { weight: 1, arbitrary: fc.constantFrom('#-1', '#x', '#', '##1', '#4294967296', '#9223372036854775807') },
  );

/** Values of SET / INCRBY: small (so fields fill and overflow), and 64-bit edges. */
const fieldValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -300, max: 300 }).map(String) },
  { weight: 2, arbitrary: integerText },
);

/** One BITFIELD operation, valid mostly; `write`: SET / INCRBY too. */
const fieldOp = (write: boolean): fc.Arbitrary<readonly string[]> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.tuple(kw('get'), fieldType, fieldOffset(false)) },
    ...(write
      ? [
          {
            weight: 6,
            arbitrary: fc.tuple(fc.oneof(kw('set'), kw('incrby')), fieldType, fieldOffset(true), fieldValue),
          },
        ]
      : []),
    {
      weight: 2,
      arbitrary: fc.tuple(kw('overflow'), fc.oneof(kw('wrap'), kw('sat'), kw('fail'), fc.constant('foo'))),
    },
    { weight: 1, arbitrary: fc.constantFrom(['foo'], ['get', 'u8'], ['overflow'], ['set', 'u8', '0']) },
  );

/** SETBIT / GETBIT with a wrong number of arguments (a right number could write far). */
const wrongArity: fc.Arbitrary<Command> = fc
  .tuple(
    fc.oneof(kw('setbit'), kw('getbit')),
    fc.constantFrom([], ['k0'], ['k0', '1', '1', '1'], ['k0', '1', '1', '1', '1']),
  )
  .map(([c, args]) => command(c, ...args));

export const bitmaps: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(kw('setbit'), key, writeOffset, fc.oneof({ weight: 6, arbitrary: fc.constantFrom('0', '1') }, { weight: 1, arbitrary: fc.constantFrom('2', '-1', 'x', '01', '') }))
      .map(([c, k, o, v]) => command(c, k, o, v)),
  },
  { weight: 3, arbitrary: fc.tuple(kw('getbit'), key, readOffset).map(([c, k, o]) => command(c, k, o)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(kw('bitcount'), key, fc.oneof(fc.constant([]), fc.tuple(rangeEnd, rangeEnd), fc.tuple(rangeEnd, rangeEnd, unit), fc.tuple(rangeEnd)))
      .map(([c, k, range]) => command(c, k, ...range)),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        kw('bitpos'),
        key,
        fc.oneof({ weight: 8, arbitrary: fc.constantFrom('0', '1') }, { weight: 1, arbitrary: fc.constantFrom('2', '-1', 'x') }),
        fc.oneof(fc.constant([]), fc.tuple(rangeEnd), fc.tuple(rangeEnd, rangeEnd), fc.tuple(rangeEnd, rangeEnd, unit), fc.tuple(rangeEnd, rangeEnd, unit, rangeEnd)),
      )
      .map(([c, k, bit, range]) => command(c, k, bit, ...range)),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(kw('bitop'), fc.oneof({ weight: 8, arbitrary: fc.oneof(kw('and'), kw('or'), kw('xor'), kw('not')) }, { weight: 1, arbitrary: fc.constantFrom('nand', '', 'not\x00') }), key, keys(3))
      .map(([c, op, dest, sources]) => command(c, op, dest, ...sources)),
  },
  {
    weight: 5,
    arbitrary: fc
      .tuple(kw('bitfield'), key, fc.array(fieldOp(true), { maxLength: 4 }))
      .map(([c, k, ops]) => command(c, k, ...ops.flat())),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(kw('bitfield_ro'), key, fc.array(fc.oneof({ weight: 6, arbitrary: fieldOp(false) }, { weight: 1, arbitrary: fieldOp(true) }), { maxLength: 3 }))
      .map(([c, k, ops]) => command(c, k, ...ops.flat())),
  },
  { weight: 1, arbitrary: wrongArity },
  // Reads only: any arguments at all cannot make one of them write far.
  { weight: 1, arbitrary: anyArgs(['getbit', 'bitcount', 'bitpos', 'bitfield_ro']) },
  { weight: 1, arbitrary: fc.constantFrom(command('bitop'), command('bitop', 'and'), command('bitop', 'not', 'k0'), command('bitfield')) },
); // prettier-ignore
