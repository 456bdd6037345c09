// Redis's ACL command rules (`+@read`, `-@dangerous`, `+get`, `-config|set`, `allcommands`,
// `nocommands`), applied left to right to the command table to give the set of commands a user
// may run. A command's categories are the ones the command table gives it: Redis's own.

import { COMMANDS, type CommandSpec } from '../commands/command-table.js';

/** Redis 7.0's ACL categories; a rule may name any of them, even one no command here is in. */
const CATEGORIES = new Set([
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog',
  'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection',
  'transaction', 'scripting', 'all',
]); // prettier-ignore

/**
 * Every command a rule can grant: top-level commands and subcommands. A container command's own
 * name is what the bare command (COMMAND) is checked against: granted with the container
 * (`+command`) or by its categories, not by one of its subcommands, as in Redis.
 */
const LEAVES: readonly CommandSpec[] = COMMANDS.flatMap((c) => (c.subcommands ? [c, ...c.subcommands.values()] : [c]));
const TOP = new Map(COMMANDS.map((c) => [c.name, c]));

/** Whether `word` is a command rule (else it is some other directive of an ACL line). */
export function isCommandRule(word: string): boolean {
  return /^[+-]/.test(word) || word === 'allcommands' || word === 'nocommands';
}

/**
 * The commands the rules grant: null when they grant every command, else their full names.
 * Throws an Error saying which rule is wrong.
 */
export function applyCommandRules(rules: readonly string[]): Set<string> | null {
  const allowed = new Set<string>();
  for (const rule of rules) {
    const word = rule === 'allcommands' ? '+@all' : rule === 'nocommands' ? '-@all' : rule.toLowerCase();
    const add = word.startsWith('+');
    const target = word.slice(1);
    let matched: readonly CommandSpec[];
    if (target.startsWith('@')) {
      const category = target.slice(1);
      if (!CATEGORIES.has(category)) throw new Error(`unknown command category '${rule.slice(1)}'`);
      matched = category === 'all' ? LEAVES : LEAVES.filter((c) => c.categories.includes(target));
    } else {
      const [name, sub, more] = target.split('|');
      const top = TOP.get(name!);
      if (top === undefined || more !== undefined) throw new Error(`unknown command '${rule.slice(1)}'`);
      if (sub === undefined) matched = top.subcommands ? [top, ...top.subcommands.values()] : [top];
      else {
        const s = top.subcommands?.get(sub);
        if (s === undefined) throw new Error(`unknown command '${rule.slice(1)}'`);
        matched = [s];
      }
    }
    for (const c of matched) {
      if (add) allowed.add(c.name);
      else allowed.delete(c.name);
    }
  }
  return LEAVES.every((c) => allowed.has(c.name)) ? null : allowed;
}

/** Whether the commands granted include every @admin command. */
export function grantsAdmin(allowed: ReadonlySet<string> | null): boolean {
  return allowed === null || LEAVES.every((c) => !c.categories.includes('@admin') || allowed.has(c.name));
}
