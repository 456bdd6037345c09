// Connection commands whose replies depend on nothing but their arguments: PING, ECHO, SELECT (only
// numbers Redis's 16 databases refuse too, and 0: little-raft has database 0 alone), and commands
// neither server knows.
import fc from 'fast-check';

import { anyArg, anyArgs, command, kw, value, type Command } from './common.js';

export const connection: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.tuple(kw('ping'), fc.option(value)).map(([c, m]) => command(c, ...(m === null ? [] : [m]))),
  },
  { weight: 2, arbitrary: fc.tuple(kw('echo'), value).map(([c, m]) => command(c, m)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        kw('select'),
        fc.constantFrom('0', '16', '-1', '00', '+0', 'abc', '', '2147483648', '99999999999999999999'),
      )
      .map(([c, db]) => command(c, db)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('foo', 'frobnicate', '', 'get\x00', 'g\xffx', 'x'.repeat(200)),
        fc.array(anyArg, { maxLength: 3 }),
      )
      .map(([c, args]) => command(c, ...args)),
  },
  { weight: 1, arbitrary: anyArgs(['ping', 'echo']) },
  // SELECT with a wrong number of arguments (never one: a random number could select another database).
  {
    weight: 1,
    arbitrary: fc
      .tuple(kw('select'), fc.constantFrom([], ['0', '0'], ['1', 'x', 'y']))
      .map(([c, a]) => command(c, ...a)),
  },
);
