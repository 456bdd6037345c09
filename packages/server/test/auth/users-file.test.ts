// --users-file: what a line grants (Redis's rules, left to right, over the command table's
// categories), who authenticates, and the one-line error naming the line for each kind of mistake.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';

import { AccessControl } from '../../src/auth/access-control.js';
import { mayRun } from '../../src/auth/acl-user.js';
import { parseUsersFile } from '../../src/auth/users-file.js';
import { resolveCommand } from '../../src/commands/command-table.js';
import type { CommandSpec } from '../../src/commands/command-table.js';
import { StartupError } from '../../src/errors.js';
import { ErrorReply } from '../../src/resp/reply.js';

const HASH = createHash('sha256').update('pw').digest('hex');
const FILE = '--users-file u.acl';

function command(text: string): CommandSpec {
  const spec = resolveCommand(text.split(' ').map((w) => Buffer.from(w)));
  assert.ok(!(spec instanceof ErrorReply), `${text} is a command`);
  return spec;
}

function user(rules: string) {
  return parseUsersFile(`user u on #${HASH} ${rules}\n`, FILE).get('u')!;
}

describe('--users-file', () => {
  test('categories and commands, applied left to right', () => {
    const ro = user('~* &* +@read');
    assert.ok(mayRun(ro, command('get k')));
    assert.ok(!mayRun(ro, command('set k v')));
    assert.ok(!mayRun(ro, command('ping')), 'PING is @connection, not @read (as in Redis)');
    assert.ok(mayRun(ro, command('auth pw')) && mayRun(ro, command('quit')), 'AUTH and QUIT: every user');
    assert.equal(ro.admin, false);

    const rw = user('+@all -@dangerous +flushdb');
    assert.ok(mayRun(rw, command('set k v')));
    assert.ok(!mayRun(rw, command('flushall')), '-@dangerous takes FLUSHALL');
    assert.ok(mayRun(rw, command('flushdb')), 'a later +flushdb gives it back');
    assert.ok(!mayRun(rw, command('config set a b')));
    assert.equal(rw.admin, false, '-@dangerous takes @admin commands (CONFIG SET)');

    const sub = user('+@read +config|get -get');
    assert.ok(mayRun(sub, command('config get x')));
    assert.ok(!mayRun(sub, command('config set a b')));
    assert.ok(!mayRun(sub, command('get k')));
    assert.ok(mayRun(sub, command('mget k')));

    const all = user('allcommands');
    assert.equal(all.allowed, null);
    assert.equal(all.admin, true);
    assert.ok(!mayRun(user('+@all nocommands'), command('get k')));
  });

  test('COMMAND without a subcommand: granted by +command and by its categories, as in Redis', () => {
    assert.ok(mayRun(user('+command'), command('command')));
    assert.ok(mayRun(user('+@connection'), command('command')), 'COMMAND is @slow @connection');
    assert.ok(mayRun(user('+@all -command|docs'), command('command')));
    assert.ok(!mayRun(user('+@all -command'), command('command')));
    assert.ok(!mayRun(user('+command|count'), command('command')));
    assert.ok(!mayRun(user('+@read'), command('command')));
  });

  test('passwords are checked against their SHA-256 digests; an off user never authenticates', () => {
    const users = parseUsersFile(
      `# a comment\n\nuser app on #${HASH} #${createHash('sha256').update('next').digest('hex').toUpperCase()} +@read\r\n` +
        `user old off #${HASH} +@all\n`,
      FILE,
    );
    const access = new AccessControl({ users });
    assert.equal(access.secured, true);
    assert.equal(access.initialUser, null, 'with users, a new client must authenticate');
    assert.equal(access.authenticate(Buffer.from('app'), Buffer.from('pw'))?.name, 'app');
    assert.equal(access.authenticate(Buffer.from('app'), Buffer.from('next'))?.name, 'app', 'a second password');
    assert.equal(access.authenticate(Buffer.from('app'), Buffer.from('pw2')), null);
    assert.equal(access.authenticate(Buffer.from('old'), Buffer.from('pw')), null);
    assert.equal(access.authenticate(Buffer.from('default'), Buffer.from('')), null, 'default is off');
    assert.equal(access.authenticate(Buffer.from('nobody'), Buffer.from('pw')), null);
  });

  test('with neither file, everyone is the default user; with --requirepass-file, default needs it', () => {
    const open = new AccessControl();
    assert.equal(open.secured, false);
    assert.equal(open.initialUser?.name, 'default');
    const digest = createHash('sha256').update('pw').digest();
    const locked = new AccessControl({ requirepassDigest: digest });
    assert.equal(locked.initialUser, null);
    assert.equal(locked.authenticate(Buffer.from('default'), Buffer.from('pw'))?.allowed, null);
    assert.throws(
      () => new AccessControl({ requirepassDigest: digest, users: parseUsersFile(`user default on #${HASH}`, FILE) }),
      /defines the user 'default', whose password --requirepass-file gives/,
    );
  });

  const mistakes: [string, RegExp][] = [
    [
      `user a on #${HASH} +@read\nuser a on #${HASH}`,
      /^--users-file u\.acl line 2: user 'a' is already defined on line 1$/,
    ],
    [`user a on #abc +@read`, /^--users-file u\.acl line 1: bad password hash '#abc' \(64 hex digits of SHA-256\)$/],
    [`\nuser a on >secret +@read`, /^--users-file u\.acl line 2: passwords in clear are not accepted/],
    [`user a on #${HASH} +@read resetkeys`, /^--users-file u\.acl line 1: unknown directive 'resetkeys'$/],
    [`user a on #${HASH} +@reed`, /^--users-file u\.acl line 1: unknown command category '@reed'$/],
    [`user a on #${HASH} +gett`, /^--users-file u\.acl line 1: unknown command 'gett'$/],
    [`user a on #${HASH} ~app:*`, /line 1: key and channel patterns other than ~\* and &\* are not supported/],
    [`user a on nopass`, /line 1: nopass is not supported/],
    [`user a on +@read`, /line 1: user 'a' is on but has no password/],
    [`users a on #${HASH}`, /line 1: expected 'user <name> \.\.\.', got 'users'/],
  ];
  for (const [text, error] of mistakes) {
    test(`refused: ${text.trim().split('\n').pop()!.replace(HASH, '<hash>')}`, () => {
      assert.throws(
        () => parseUsersFile(text, FILE),
        (e: unknown) => e instanceof StartupError && error.test(e.message) && !e.message.includes('\n'),
      );
    });
  }
});
