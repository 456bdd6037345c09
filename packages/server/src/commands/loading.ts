// Which commands a node refuses with -LOADING while it loads a snapshot: as Redis, every command
// its table does not flag `loading` (INFO, PING, AUTH, CLIENT ..., which do not touch the data).

import { lookupCommand, lookupSubcommand } from './command-table.js';

export function refusedWhileLoading(argv: readonly Uint8Array[]): boolean {
  const spec = argv.length > 0 ? lookupCommand(argv[0]!) : undefined;
  if (spec === undefined) return false; // unknown: answered as such
  const sub = spec.subcommands !== null && argv.length > 1 ? lookupSubcommand(spec, argv[1]!) : undefined;
  return !(sub ?? spec).flags.includes('loading');
}
