// --users-file: ACL users in a subset of Redis's ACL file syntax, one per line:
//
//   user <name> on|off #<sha256 hex of a password> [#<another>] [~* &*] +@read -@dangerous +get ...
//
// Passwords are given only as SHA-256 digests (`printf %s pw | sha256sum`): the file holds no
// password in clear, so `>password` is refused. Blank lines and lines starting with `#` are
// comments. Anything else is an error naming its line: nothing is started on a file that does not
// say what was meant.

import { readFile } from 'node:fs/promises';

import { StartupError } from '../errors.js';
import { applyCommandRules, grantsAdmin, isCommandRule } from './acl-rules.js';
import type { AclUser } from './acl-user.js';

/** Key and channel patterns that mean "all": accepted (every user reaches every key and channel). */
const ALL_PATTERNS = new Set(['~*', 'allkeys', '&*', 'allchannels']);

/** Parses the text of a users file; `where` names it in errors. Throws StartupError. */
export function parseUsersFile(text: string, where: string): Map<string, AclUser> {
  const users = new Map<string, AclUser>();
  const lineOf = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const fail = (why: string): never => {
      throw new StartupError(`${where} line ${i + 1}: ${why}`);
    };
    const words = line.split(/[ \t]+/);
    if (words[0] !== 'user') fail(`expected 'user <name> ...', got '${words[0]}'`);
    const name = words[1];
    if (name === undefined) fail("'user' without a name");
    if (!/^[!-~]+$/.test(name!)) fail(`bad user name '${name}'`);
    const earlier = lineOf.get(name!);
    if (earlier !== undefined) fail(`user '${name}' is already defined on line ${earlier}`);
    let enabled = false;
    const digests: Buffer[] = [];
    const rules: string[] = [];
    for (const word of words.slice(2)) {
      if (word === 'on' || word === 'off') enabled = word === 'on';
      else if (word.startsWith('#')) {
        if (!/^#[0-9a-fA-F]{64}$/.test(word)) fail(`bad password hash '${word}' (64 hex digits of SHA-256)`);
        digests.push(Buffer.from(word.slice(1), 'hex'));
      } else if (word.startsWith('>') || word.startsWith('<')) {
        fail('passwords in clear are not accepted: give #<sha256 hex> (printf %s password | sha256sum)');
      } else if (word === 'nopass') fail('nopass is not supported: every user needs a password (#<sha256 hex>)');
      else if (ALL_PATTERNS.has(word)) continue;
      else if (word.startsWith('~') || word.startsWith('%') || word.startsWith('&')) {
        fail(`key and channel patterns other than ~* and &* are not supported ('${word}')`);
      } else if (isCommandRule(word)) rules.push(word);
      else fail(`unknown directive '${word}'`);
    }
    if (enabled && digests.length === 0) fail(`user '${name}' is on but has no password (#<sha256 hex>)`);
    let allowed: Set<string> | null;
    try {
      allowed = applyCommandRules(rules);
    } catch (e) {
      return fail((e as Error).message);
    }
    users.set(name!, {
      name: name!,
      enabled,
      nopass: false,
      passwordDigests: digests,
      allowed,
      admin: grantsAdmin(allowed),
    });
    lineOf.set(name!, i + 1);
  }
  return users;
}

export async function readUsersFile(path: string): Promise<Map<string, AclUser>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new StartupError(`cannot read --users-file ${path}: ${(e as Error).message}`);
  }
  return parseUsersFile(text, `--users-file ${path}`);
}
