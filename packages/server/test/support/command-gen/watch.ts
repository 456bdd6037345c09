// WATCH and UNWATCH: keys from the pool, which the stream's own commands then change or not before
// its EXEC; UNWATCH; wrong arities. Drawn among the queued commands of a transaction too, where
// WATCH is refused (the transaction goes on) and UNWATCH is queued.
import fc from 'fast-check';

import { anyArgs, command, keys, kw, type Command } from './common.js';

export const watchCommands: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(kw('watch'), keys(3)).map(([c, k]) => command(c, ...k)) },
  { weight: 2, arbitrary: kw('unwatch').map((c) => command(c)) },
  { weight: 1, arbitrary: anyArgs(['watch', 'unwatch'], 2) },
);
