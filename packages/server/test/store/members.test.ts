// The replicated member table (store/members.ts): the internal command that changes it, and its
// snapshot form, which is untrusted bytes on the way in.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  isMemberCommand,
  memberDelCommand,
  memberSetCommand,
  MemberTable,
  type MemberAddresses,
} from '../../src/store/members.js';
import { cmd, plain } from '../support/kv-helpers.js';
import { standInServer } from '../support/stand-in-node.js';

const A: MemberAddresses = { raft: '10.0.0.1:7001', redis: '10.0.0.1:6379', http: '10.0.0.1:8081' };
const B: MemberAddresses = { raft: '10.0.0.2:7002', redis: null, http: null };

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value), 'utf8');

test('SET records a member (empty addresses: unknown), a second SET replaces it, DEL forgets it', () => {
  const table = new MemberTable();
  assert.equal(plain(table.apply(memberSetCommand(1, A))), 'OK');
  assert.equal(plain(table.apply(memberSetCommand(2, B))), 'OK');
  assert.deepEqual(table.get(1), A);
  assert.deepEqual(table.get(2), B, 'empty redis and http come back as null');
  assert.equal(table.size, 2);

  const moved = { ...A, raft: '10.0.0.9:7001' };
  table.apply(memberSetCommand(1, moved));
  assert.deepEqual(table.get(1), moved);
  assert.equal(table.size, 2);

  assert.equal(plain(table.apply(memberDelCommand(1))), 'OK');
  assert.equal(table.get(1), undefined);
  assert.equal(plain(table.apply(memberDelCommand(7))), 'OK', 'forgetting an unknown member is no error');
  assert.deepEqual(
    table.entries().map(([id]) => id),
    [2],
  );
});

test('entries come out sorted by id whatever the order they were set in', () => {
  const table = new MemberTable();
  for (const id of [10, 2, 7, 1]) table.apply(memberSetCommand(id, B));
  assert.deepEqual(
    table.entries().map(([id]) => id),
    [1, 2, 7, 10],
  );
});

test('a malformed member command is an error and changes nothing', () => {
  const table = new MemberTable();
  table.apply(memberSetCommand(3, A));
  const before = JSON.stringify(table.entries());
  const name = 'LITTLE-RAFT.MEMBER';
  const cases: [string[], RegExp][] = [
    [[name, 'SET', '0', 'h:1', '', ''], /^ERR bad member id$/],
    [[name, 'SET', '-3', 'h:1', '', ''], /^ERR bad member id$/],
    [[name, 'SET', '1.5', 'h:1', '', ''], /^ERR bad member id$/],
    [[name, 'SET', 'x', 'h:1', '', ''], /^ERR bad member id$/],
    [[name, 'SET', '', 'h:1', '', ''], /^ERR bad member id$/],
    [[name, 'DEL', '9007199254740993'], /^ERR bad member id$/],
    [[name, 'SET', '3', '', '', ''], /^ERR malformed member command$/], // no Raft address
    [[name, 'SET', '3', 'h:1', ''], /^ERR malformed member command$/], // too few arguments
    [[name, 'SET', '3', 'h:1', '', '', ''], /^ERR malformed member command$/], // too many
    [[name, 'DEL', '3', 'extra'], /^ERR malformed member command$/],
    [[name, 'PUT', '3', 'h:1', '', ''], /^ERR malformed member command$/],
    [[name, 'set', '3', 'h:1', '', ''], /^ERR malformed member command$/], // the verb is exact
  ];
  for (const [argv, error] of cases) {
    const reply = plain(table.apply(cmd(argv)));
    assert.ok(typeof reply === 'string' && error.test(reply.slice(1)), `${argv.join(' ')} -> ${String(reply)}`);
    assert.equal(JSON.stringify(table.entries()), before, `${argv.join(' ')} changed the table`);
  }
});

test('isMemberCommand: exactly the internal command name (byte for byte), nothing else', () => {
  assert.equal(isMemberCommand(memberSetCommand(1, A)), true);
  assert.equal(isMemberCommand(memberDelCommand(1)), true);
  assert.equal(isMemberCommand(cmd('SET a 1')), false);
  assert.equal(isMemberCommand(cmd('little-raft.member DEL 1')), false, 'no case folding: clients cannot reach it');
  assert.equal(isMemberCommand(cmd('LITTLE-RAFT.MEMBEr DEL 1')), false);
  assert.equal(isMemberCommand(cmd('LITTLE-RAFT.MEMBERS DEL 1')), false);
  assert.equal(isMemberCommand([]), false);
});

test('serialize / parse: a round trip gives the same table and the same bytes', () => {
  const table = new MemberTable();
  table.apply(memberSetCommand(5, A));
  table.apply(memberSetCommand(2, B));
  table.apply(memberSetCommand(9, { raft: '[::1]:7009', redis: '[::1]:6009', http: null }));
  const bytes = table.serialize();
  const copy = MemberTable.parse(bytes);
  assert.deepEqual(copy.entries(), table.entries());
  assert.deepEqual(Buffer.from(copy.serialize()), Buffer.from(bytes));
  assert.equal(MemberTable.parse(new MemberTable().serialize()).size, 0, 'an empty table too');
});

test('parse refuses what serialize cannot have written, with a precise message', () => {
  const cases: [Uint8Array, RegExp][] = [
    [Buffer.from('[[1,{"raft":"h:1"'), /^KV snapshot: the member table is not valid JSON$/],
    [Buffer.from([0xff, 0xfe]), /^KV snapshot: the member table is not valid JSON$/],
    [json({ 1: A }), /^KV snapshot: the member table is not a list$/],
    [json(null), /^KV snapshot: the member table is not a list$/],
    [json([[0, A]]), /^KV snapshot: a malformed member table row$/],
    [json([[-1, A]]), /^KV snapshot: a malformed member table row$/],
    [json([['1', A]]), /^KV snapshot: a malformed member table row$/],
    [json([[1.5, A]]), /^KV snapshot: a malformed member table row$/],
    [json([[1, null]]), /^KV snapshot: a malformed member table row$/],
    [json([[1, 'h:1']]), /^KV snapshot: a malformed member table row$/],
    [json([{ id: 1, ...A }]), /^KV snapshot: a malformed member table row$/],
    [json([[1]]), /^KV snapshot: a malformed member table row$/],
    [json([1]), /^KV snapshot: a malformed member table row$/],
    [json([[1, { redis: null, http: null }]]), /^KV snapshot: member 1 has malformed addresses$/],
    [json([[1, { raft: 7001, redis: null, http: null }]]), /^KV snapshot: member 1 has malformed addresses$/],
    [json([[2, { raft: 'h:1', redis: 6379, http: null }]]), /^KV snapshot: member 2 has malformed addresses$/],
    [json([[3, { raft: 'h:1', redis: null }]]), /^KV snapshot: member 3 has malformed addresses$/],
    [json([[3, { raft: 'h:1', redis: null, http: {} }]]), /^KV snapshot: member 3 has malformed addresses$/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(() => MemberTable.parse(bytes), { message }, Buffer.from(bytes).toString('latin1'));
  }
  // A good row before a bad one: the whole table is refused, not the good part kept.
  assert.throws(
    () =>
      MemberTable.parse(
        json([
          [1, A],
          [2, { raft: 5 }],
        ]),
      ),
    { message: /^KV snapshot: member 2 has malformed addresses$/ },
  );
});

test('clients cannot send the internal command: it is an unknown command, alone or in MULTI', async (t) => {
  const { node, send } = await standInServer(t);
  const alone = await send(['LITTLE-RAFT.MEMBER SET 4 10.0.0.4:7004 x x', 'little-raft.member DEL 1']);
  assert.equal(
    alone,
    "-ERR unknown command 'LITTLE-RAFT.MEMBER', with args beginning with: 'SET' '4' '10.0.0.4:7004' 'x' 'x' \r\n" +
      "-ERR unknown command 'little-raft.member', with args beginning with: 'DEL' '1' \r\n",
  );
  const multi = await send(['MULTI', 'SET a 1', 'LITTLE-RAFT.MEMBER SET 4 10.0.0.4:7004 x x', 'EXEC']);
  assert.match(multi, /^\+OK\r\n\+QUEUED\r\n-ERR unknown command 'LITTLE-RAFT\.MEMBER'.*\r\n-EXECABORT /);
  assert.deepEqual(node.submissions, [], 'nothing reached the log');
  assert.equal(node.machine.members.size, 0);
});
