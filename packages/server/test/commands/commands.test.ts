import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  COMMANDS,
  checkArity,
  commandReply,
  configReply,
  echoReply,
  functionReply,
  lookupCommand,
  pingReply,
  resolveCommand,
  selectReply,
  unknownCommandError,
  validateWrite,
} from '../../src/commands/commands.js';
import { ZSET_COMMANDS } from '../../src/commands/table/zsets.js';
import { ErrorReply } from '../../src/resp/reply.js';
import { cmd, plain } from '../support/kv-helpers.js';

const name = (s: string): Uint8Array => Buffer.from(s, 'latin1');

test('lookup is case-insensitive and exact', () => {
  assert.equal(lookupCommand(name('get'))?.name, 'get');
  assert.equal(lookupCommand(name('GeT'))?.name, 'get');
  assert.equal(lookupCommand(name('GETDEL'))?.name, 'getdel');
  assert.equal(lookupCommand(name('gets')), undefined);
  assert.equal(lookupCommand(name('ge')), undefined);
  assert.equal(lookupCommand(name('')), undefined);
  assert.equal(lookupCommand(name('g\x05t')), undefined);
  // Only ASCII letters fold: these bytes differ from the letters by 0x20 but are not their case.
  assert.equal(lookupCommand(name('\x07\x05\x14')), undefined);
  assert.equal(lookupCommand(name('ping\r')), undefined);
});

test('every listed command is found by its own name, with the kind the server needs', () => {
  const kinds: Record<string, string> = {};
  for (const c of COMMANDS) {
    assert.equal(lookupCommand(name(c.name.toUpperCase())), c);
    kinds[c.name] = c.kind;
  }
  for (const w of ['set', 'del', 'incr', 'incrby', 'decr', 'decrby', 'append', 'mset', 'getdel', 'flushdb']) {
    assert.equal(kinds[w], 'write', w);
  }
  const keyWrites = ['expire', 'pexpire', 'expireat', 'pexpireat', 'persist', 'rename', 'renamenx', 'unlink', 'copy'];
  const stringWrites = ['setex', 'psetex', 'setnx', 'getset', 'getex', 'msetnx', 'incrbyfloat', 'setrange'];
  for (const w of [...keyWrites, ...stringWrites, 'flushall']) assert.equal(kinds[w], 'write', w);
  for (const r of ['expiretime', 'pexpiretime', 'getrange', 'substr', 'lcs', 'touch', 'randomkey', 'object']) {
    assert.equal(kinds[r], 'read', r);
  }
  for (const l of ['time', 'role', 'wait']) assert.equal(kinds[l], 'local', l);
  for (const r of ['get', 'exists', 'strlen', 'mget', 'dbsize', 'keys', 'scan', 'type', 'ttl', 'pttl']) {
    assert.equal(kinds[r], 'read', r);
  }
  for (const l of ['ping', 'echo', 'info', 'client', 'select', 'command', 'config', 'function', 'quit', 'hello']) {
    assert.equal(kinds[l], 'local', l);
  }
  for (const x of ['multi', 'exec', 'discard', 'watch', 'unwatch']) assert.equal(kinds[x], 'transaction', x);
  for (const p of ['subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'pubsub', 'reset']) {
    assert.equal(kinds[p], 'local', p);
  }
  assert.equal(kinds['publish'], 'write');
  for (const w of ['hset', 'hincrbyfloat', 'sadd', 'spop', 'smove', 'sinterstore']) assert.equal(kinds[w], 'write', w);
  for (const r of ['hgetall', 'hscan', 'hrandfield', 'smembers', 'srandmember', 'sintercard']) {
    assert.equal(kinds[r], 'read', r);
  }
  const listWrites = ['lpush', 'rpush', 'lpushx', 'rpushx', 'lpop', 'rpop', 'lset', 'ltrim', 'lrem', 'linsert'];
  const blocking = ['blpop', 'brpop', 'blmove', 'brpoplpush', 'blmpop'];
  for (const w of [...listWrites, 'lmove', 'rpoplpush', 'lmpop', ...blocking]) assert.equal(kinds[w], 'write', w);
  for (const r of ['llen', 'lindex', 'lrange', 'lpos']) assert.equal(kinds[r], 'read', r);
  assert.equal(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length, 'no command is listed twice');
  for (const w of ['setbit', 'bitop', 'bitfield', 'sort']) assert.equal(kinds[w], 'write', w);
  for (const r of ['getbit', 'bitcount', 'bitpos', 'bitfield_ro', 'sort_ro']) assert.equal(kinds[r], 'read', r);
  for (const l of ['auth', 'acl']) assert.equal(kinds[l], 'local', l);
  assert.equal(COMMANDS.length, 64 + 7 + 16 + 17 + 22 + 7 + 2 + 2 + ZSET_COMMANDS.length);
});

test("Redis's arities", () => {
  const arity = (n: string): number => lookupCommand(name(n))!.arity;
  assert.equal(arity('get'), 2);
  assert.equal(arity('set'), -3);
  assert.equal(arity('mset'), -3);
  assert.equal(arity('ping'), -1);
  assert.equal(arity('dbsize'), 1);
  assert.equal(arity('scan'), -2);
  assert.equal(arity('incrby'), 3);
  const get = lookupCommand(name('get'))!;
  assert.equal(checkArity(get, 2), null);
  assert.equal(plain(checkArity(get, 1)), "-ERR wrong number of arguments for 'get' command");
  assert.equal(plain(checkArity(get, 3)), "-ERR wrong number of arguments for 'get' command");
  const set = lookupCommand(name('set'))!;
  assert.equal(checkArity(set, 3), null);
  assert.equal(checkArity(set, 9), null);
  assert.ok(checkArity(set, 2) instanceof ErrorReply);
});

test("unknown command: Redis 7's text, args quoted, each followed by a space", () => {
  assert.equal(
    plain(unknownCommandError(cmd('foo bar baz'))),
    "-ERR unknown command 'foo', with args beginning with: 'bar' 'baz' ",
  );
  assert.equal(plain(unknownCommandError(cmd('foo'))), "-ERR unknown command 'foo', with args beginning with: ");
  assert.equal(plain(unknownCommandError(cmd('FOO'))), "-ERR unknown command 'FOO', with args beginning with: ");
  const long = plain(unknownCommandError(cmd(['x', 'a'.repeat(300), 'b']))) as string;
  assert.ok(long.length < 200, 'arguments are cut at about 128 bytes');
});

test('resolveCommand: subcommands, unknown subcommands, container arity', () => {
  assert.equal((resolveCommand(cmd('client setname x')) as { name: string }).name, 'client|setname');
  assert.equal((resolveCommand(cmd('CLIENT GETNAME')) as { name: string }).name, 'client|getname');
  assert.equal((resolveCommand(cmd('config get save')) as { name: string }).name, 'config|get');
  assert.equal((resolveCommand(cmd('command')) as { name: string }).name, 'command');
  assert.equal((resolveCommand(cmd('get k')) as { name: string }).name, 'get');
  assert.equal(
    plain(resolveCommand(cmd('client foo')) as ErrorReply),
    "-ERR unknown subcommand 'foo'. Try CLIENT HELP.",
  );
  assert.equal(
    plain(resolveCommand(cmd('client setname')) as ErrorReply),
    "-ERR wrong number of arguments for 'client|setname' command",
  );
  assert.equal(
    plain(resolveCommand(cmd('client')) as ErrorReply),
    "-ERR wrong number of arguments for 'client' command",
  );
  assert.equal(plain(resolveCommand(cmd('get')) as ErrorReply), "-ERR wrong number of arguments for 'get' command");
  assert.equal(
    plain(resolveCommand(cmd('nope 1')) as ErrorReply),
    "-ERR unknown command 'nope', with args beginning with: '1' ",
  );
  assert.ok(resolveCommand([]) instanceof ErrorReply);
});

test('validateWrite: SET option combinations', () => {
  const v = (line: string): unknown => {
    const r = validateWrite(cmd(line));
    return r === null ? null : plain(r);
  };
  assert.equal(v('SET k v'), null);
  assert.equal(v('set k v nx get ex 10'), null);
  assert.equal(v('SET k v XX KEEPTTL GET'), null);
  assert.equal(v('SET k v EX 10 EX 20'), null); // repeating the same expire option is allowed
  assert.equal(v('SET k v NX NX'), null);
  assert.equal(v('SET k v pxat 1'), null);
  assert.equal(v('SET k v NX XX'), '-ERR syntax error');
  assert.equal(v('SET k v XX NX'), '-ERR syntax error');
  assert.equal(v('SET k v EX 10 PX 10'), '-ERR syntax error');
  assert.equal(v('SET k v EX 10 KEEPTTL'), '-ERR syntax error');
  assert.equal(v('SET k v KEEPTTL EX 10'), '-ERR syntax error');
  assert.equal(v('SET k v EX'), '-ERR syntax error');
  assert.equal(v('SET k v FOO'), '-ERR syntax error');
  assert.equal(v('SET k v FOO 1'), '-ERR syntax error');
  assert.equal(v('SET k v EX abc NX XX'), '-ERR syntax error'); // keywords are checked before the number
  assert.equal(v('SET k v EX abc'), '-ERR value is not an integer or out of range');
  assert.equal(v('SET k v EX 1.5'), '-ERR value is not an integer or out of range');
  assert.equal(v('SET k v EX 0'), "-ERR invalid expire time in 'set' command");
  assert.equal(v('SET k v PX -5'), "-ERR invalid expire time in 'set' command");
  assert.equal(v('SET k v EX 9223372036854776'), "-ERR invalid expire time in 'set' command");
  // EX 9223372036854775 fits alone but overflows once added to the current time.
  assert.equal(v('SET k v EX 9223372036854775'), null);
  assert.equal(
    plain(validateWrite(cmd('SET k v EX 9223372036854775'), 1_700_000_000_000)),
    "-ERR invalid expire time in 'set' command",
  );
  assert.equal(validateWrite(cmd('SET k v EX 100'), 1_700_000_000_000), null);
  assert.equal(v('SET k v EXAT 9223372036854775'), null);
  assert.equal(v('SET k v EX 9223372036854775807'), "-ERR invalid expire time in 'set' command");
  assert.equal(v('SET k v EX 9223372036854775808'), '-ERR value is not an integer or out of range');
  assert.equal(v('SET k v EXAT 9223372036854776'), "-ERR invalid expire time in 'set' command");
  assert.equal(v('SET k v PXAT 9223372036854775807'), null);
});

test('validateWrite: other writes', () => {
  const v = (line: string): unknown => {
    const r = validateWrite(cmd(line));
    return r === null ? null : plain(r);
  };
  assert.equal(v('INCRBY k 5'), null);
  assert.equal(v('INCRBY k -9223372036854775808'), null);
  assert.equal(v('INCRBY k x'), '-ERR value is not an integer or out of range');
  assert.equal(v('INCRBY k 01'), '-ERR value is not an integer or out of range');
  assert.equal(v('DECRBY k 1.0'), '-ERR value is not an integer or out of range');
  assert.equal(v('DECRBY k -9223372036854775808'), '-ERR decrement would overflow');
  assert.equal(v('MSET a 1 b 2'), null);
  assert.equal(v('MSET a 1 b'), "-ERR wrong number of arguments for 'mset' command");
  assert.equal(v('FLUSHDB'), null);
  assert.equal(v('flushdb async'), null);
  assert.equal(v('FLUSHDB SYNC'), null);
  assert.equal(v('FLUSHDB NOW'), '-ERR syntax error');
  assert.equal(v('FLUSHDB ASYNC SYNC'), '-ERR syntax error');
  assert.equal(v('DEL a b'), null);
  assert.equal(v('INCR'), "-ERR wrong number of arguments for 'incr' command");
  assert.equal(v('NOPE'), "-ERR unknown command 'NOPE', with args beginning with: ");
  assert.ok(validateWrite(cmd('GET k')) instanceof ErrorReply);
});

test('PING, ECHO, SELECT', () => {
  assert.equal(plain(pingReply(cmd('PING'))), '+PONG');
  assert.equal(plain(pingReply(cmd('PING hi'))), 'hi');
  assert.equal(plain(pingReply(cmd('PING a b'))), "-ERR wrong number of arguments for 'ping' command");
  assert.equal(plain(echoReply(cmd('ECHO x'))), 'x');
  assert.equal(plain(selectReply(cmd('SELECT 0'))), '+OK');
  assert.equal(plain(selectReply(cmd('SELECT 1'))), '-ERR DB index is out of range');
  assert.equal(plain(selectReply(cmd('SELECT x'))), '-ERR value is not an integer or out of range');
});

test('COMMAND, COMMAND COUNT/INFO/DOCS/LIST', () => {
  const all = commandReply(cmd('COMMAND')) as unknown[];
  assert.equal(all.length, COMMANDS.length);
  assert.equal(plain(commandReply(cmd('COMMAND COUNT'))), COMMANDS.length);
  assert.deepEqual(plain(commandReply(cmd('COMMAND DOCS'))), []);
  assert.deepEqual(plain(commandReply(cmd('COMMAND DOCS get'))), []);
  const [get, missing, sub] = plain(commandReply(cmd('COMMAND INFO get nope client|setname'))) as unknown[][];
  assert.deepEqual(get, ['get', 2, ['+readonly', '+fast'], 1, 1, 1, ['+@read', '+@string', '+@fast'], [], [], []]);
  assert.equal(missing, null);
  assert.equal(sub![0], 'client|setname');
  assert.equal(sub![1], 3);
  const mset = (plain(commandReply(cmd('COMMAND INFO mset'))) as unknown[][])[0]!;
  assert.deepEqual(mset.slice(3, 6), [1, -1, 2]);
  const client = (plain(commandReply(cmd('COMMAND INFO client'))) as unknown[][])[0]!;
  assert.ok((client[9] as unknown[]).length > 0, 'containers list their subcommands');
  assert.ok((plain(commandReply(cmd('COMMAND LIST'))) as string[]).includes('getdel'));
  assert.equal(plain(commandReply(cmd('COMMAND FOO'))), "-ERR unknown subcommand 'FOO'. Try COMMAND HELP.");
});

test('CONFIG GET answers what redis-benchmark asks, with globs and overrides', () => {
  assert.deepEqual(plain(configReply(cmd('CONFIG GET save'))), ['save', '']);
  assert.deepEqual(plain(configReply(cmd('config get appendonly'))), ['appendonly', 'no']);
  assert.deepEqual(plain(configReply(cmd('CONFIG GET nothing'))), []);
  assert.deepEqual(plain(configReply(cmd('CONFIG GET SAVE appendonly save'))), ['save', '', 'appendonly', 'no']);
  assert.deepEqual(plain(configReply(cmd('CONFIG GET maxmemory*'))), [
    'maxmemory',
    '0',
    'maxmemory-policy',
    'noeviction',
  ]);
  assert.deepEqual(plain(configReply(cmd('CONFIG GET port'), { port: '7001' })), ['port', '7001']);
  assert.ok((plain(configReply(cmd('CONFIG GET *'))) as string[]).length >= 10);
  assert.equal(plain(configReply(cmd('CONFIG RESETSTAT'))), '+OK');
  assert.ok(configReply(cmd('CONFIG SET save x')) instanceof ErrorReply);
});

test('CONFIG SET: a parameter set to the value it already has is OK; anything else is refused with Redis texts', () => {
  const set = (c: string): string => {
    const r = configReply([...cmd(c.replace(' ""', '')), ...(c.endsWith(' ""') ? [Buffer.alloc(0)] : [])]);
    return r instanceof ErrorReply ? r.message : String(plain(r));
  };
  assert.equal(set('CONFIG SET save ""'), '+OK');
  assert.equal(set('CONFIG SET APPENDONLY no timeout 0'), '+OK');
  assert.equal(
    set('CONFIG SET appendonly yes'),
    "ERR CONFIG SET of 'appendonly' is not supported: it can only be set to its current value",
  );
  assert.equal(
    set('CONFIG SET timeout 0 maxmemory 1'),
    "ERR CONFIG SET of 'maxmemory' is not supported: it can only be set to its current value",
  );
  assert.equal(set('CONFIG SET timeout 0 appendonly'), 'ERR syntax error');
  assert.equal(
    set('CONFIG SET timeout 0 TIMEOUT 0'),
    "ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter",
  );
  assert.equal(set('CONFIG SET Nope 1'), "ERR Unknown option or number of arguments for CONFIG SET - 'Nope'");
  assert.equal(set('CONFIG SET timeout 1 nope 1'), "ERR Unknown option or number of arguments for CONFIG SET - 'nope'");
});

test('FUNCTION FLUSH: OK with or without ASYNC / SYNC (no library is ever loaded); other arguments as Redis refuses them', () => {
  for (const c of ['FUNCTION FLUSH', 'function flush async', 'FUNCTION FLUSH Sync']) {
    assert.equal(plain(functionReply(cmd(c))), '+OK', c);
  }
  const err = (c: string): string => (functionReply(cmd(c)) as ErrorReply).message;
  assert.equal(err('FUNCTION FLUSH now'), 'ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
  assert.equal(
    err('FUNCTION FLUSH a b'),
    "ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.",
  );
  assert.equal(err('FUNCTION NOPE x'), "ERR unknown subcommand 'NOPE'. Try FUNCTION HELP.");
  assert.equal(
    (resolveCommand(cmd('function')) as ErrorReply).message,
    "ERR wrong number of arguments for 'function' command",
  );
});
