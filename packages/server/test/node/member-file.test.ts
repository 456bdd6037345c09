// The copy of the member table in the data directory (members.json): read back at a restart, where
// a missing or damaged copy is no error (the cluster tells the node again), and rewritten one write
// at a time, the newest table last, never by a table older than the copy.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { MemberFileWriter, readMemberFile } from '../../src/node/member-file.js';
import { memberDelCommand, memberSetCommand, MemberTable } from '../../src/store/members.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';
import { eventually } from '../support/eventually.js';

const address = (id: number): { raft: string; redis: string; http: null } => ({
  raft: `10.0.0.${id}:7000`,
  redis: `10.0.0.${id}:6379`,
  http: null,
});

const NONE = { index: 0, addresses: new Map() };

test('no copy, or a torn or foreign one: index 0 and no addresses, no error', async (t) => {
  const dir = tempDir(t);
  assert.deepEqual(await readMemberFile(dir), NONE, 'no file');
  assert.deepEqual(await readMemberFile(join(dir, 'not-there')), NONE, 'no directory');
  const file = join(dir, 'members.json');
  for (const text of [
    '',
    '{"index":9,"members":[[1,{"raft":"10.0.0.1:7000"}]',
    '\u0000\u0000\u0000',
    '{"1":{"raft":"h:1"}}',
    '{"index":9,"members":{"1":{"raft":"h:1"}}}',
    'null',
    '"x"',
  ]) {
    writeFileSync(file, text);
    assert.deepEqual(await readMemberFile(dir), NONE, JSON.stringify(text));
  }
});

test('rows that are not [id, {raft}] are skipped; the good ones are read', async (t) => {
  const dir = tempDir(t);
  const rows = [
    [1, { raft: '10.0.0.1:7000', redis: null, http: null }],
    ['2', { raft: '10.0.0.2:7000' }],
    [3, null],
    [4, { raft: 7004 }],
    [5.5, { raft: '10.0.0.5:7000' }],
    'junk',
    [6, { raft: '10.0.0.6:7000' }],
  ];
  const good = new Map([
    [1, '10.0.0.1:7000'],
    [6, '10.0.0.6:7000'],
  ]);
  writeFileSync(join(dir, 'members.json'), JSON.stringify({ index: 12, members: rows }));
  assert.deepEqual(await readMemberFile(dir), { index: 12, addresses: good });
  // A bad index is index 0 (any table may replace the copy); the bare list of an early copy too.
  for (const index of [-1, 1.5, '12', null]) {
    writeFileSync(join(dir, 'members.json'), JSON.stringify({ index, members: rows }));
    assert.deepEqual(await readMemberFile(dir), { index: 0, addresses: good }, `index ${String(index)}`);
  }
  writeFileSync(join(dir, 'members.json'), JSON.stringify(rows));
  assert.deepEqual(await readMemberFile(dir), { index: 0, addresses: good });
});

test('the writer keeps the copy in step with the table: many changes, one write at a time, the newest last', async (t) => {
  const dir = tempDir(t);
  const table = new MemberTable();
  let applied = 3;
  const warnings: string[] = [];
  const writer = new MemberFileWriter(
    dir,
    () => table,
    () => applied,
    0,
    (m) => warnings.push(m),
  );
  table.apply(memberSetCommand(1, address(1)));
  writer.changed();
  await eventually(async () => (await readMemberFile(dir)).addresses.size === 1, 'the first copy');
  assert.deepEqual(await readMemberFile(dir), { index: 3, addresses: new Map([[1, '10.0.0.1:7000']]) });
  assert.deepEqual(
    JSON.parse(readFileSync(join(dir, 'members.json'), 'utf8')),
    { index: 3, members: JSON.parse(Buffer.from(table.serialize()).toString('utf8')) as unknown },
    'the copy is the table as a snapshot holds it, with its index',
  );

  // A burst of changes while a write is under way: writes never overlap (they share a temporary
  // file, so overlapping ones would fail), and the last one holds the final table.
  for (let id = 2; id <= 40; id++) {
    applied++;
    table.apply(memberSetCommand(id, address(id)));
    if (id % 3 === 0) table.apply(memberDelCommand(id - 1));
    writer.changed();
  }
  const final = new Map(table.entries().map(([id, a]) => [id, a.raft]));
  await eventually(
    async () => JSON.stringify([...(await readMemberFile(dir)).addresses]) === JSON.stringify([...final]),
    'the final table in the copy',
  );
  await eventually(() => !existsSync(join(dir, 'members.json.tmp')), 'the last write finished');
  assert.deepEqual(await readMemberFile(dir), { index: 42, addresses: final });
  assert.deepEqual(warnings, []);
});

test('a copy that cannot be written is a warning naming the file, not a failure', async (t) => {
  const dir = join(tempDir(t), 'missing');
  const warnings: string[] = [];
  const writer = new MemberFileWriter(
    dir,
    () => new MemberTable(),
    () => 1,
    0,
    (m) => warnings.push(m),
  );
  writer.changed();
  await eventually(() => warnings.length > 0, 'a warning');
  assert.match(warnings[0]!, /^cannot write members\.json: ENOENT/);
  assert.equal(warnings.length, 1);
});

test('a table older than the copy (a restart loading an old snapshot, then replaying) does not replace it', async (t) => {
  // The copy from before the restart knows members 4 and 5, added after the last snapshot.
  const dir = tempDir(t);
  const file = join(dir, 'members.json');
  const copy = { index: 50, members: [1, 4, 5].map((id) => [id, address(id)]) };
  writeFileSync(file, JSON.stringify(copy));
  const since = (await readMemberFile(dir)).index;
  assert.equal(since, 50);

  // The snapshot the restart loads (index 20) has members 1, 2 and 3; the replay goes on from there.
  const table = new MemberTable();
  for (const id of [1, 2, 3]) table.apply(memberSetCommand(id, address(id)));
  let applied = 20;
  let reads = 0; // the writer reads the table when it writes it
  const warnings: string[] = [];
  const writer = new MemberFileWriter(
    dir,
    () => (reads++, table),
    () => applied,
    since,
    (m) => warnings.push(m),
  );
  writer.changed();
  applied = 49;
  table.apply(memberSetCommand(4, address(4)));
  writer.changed();
  assert.equal(reads, 0, 'no write was started');
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), copy, 'the copy is untouched');

  // Caught up to the copy's index and past it: the table is as new, and replaces the copy.
  applied = 51;
  table.apply(memberSetCommand(5, address(5)));
  writer.changed();
  await eventually(async () => (await readMemberFile(dir)).index === 51, 'the copy at index 51');
  assert.deepEqual([...(await readMemberFile(dir)).addresses.keys()], [1, 2, 3, 4, 5]);
  assert.deepEqual(warnings, []);
});

test('close: the write under way and the one it owes finish first; nothing is written after', async (t) => {
  const dir = tempDir(t);
  const table = new MemberTable();
  let reads = 0;
  const writer = new MemberFileWriter(
    dir,
    () => (reads++, table),
    () => 7,
    0,
    () => undefined,
  );
  table.apply(memberSetCommand(1, address(1)));
  writer.changed(); // under way
  table.apply(memberSetCommand(2, address(2)));
  writer.changed(); // owed
  await writer.close();
  assert.equal(reads, 2);
  assert.equal(existsSync(join(dir, 'members.json.tmp')), false, 'no write left under way');
  assert.deepEqual([...(await readMemberFile(dir)).addresses.keys()], [1, 2], 'the newest table is on disk');
  table.apply(memberSetCommand(3, address(3)));
  writer.changed();
  assert.equal(reads, 2, 'closed: not written');
  await writer.close(); // again: nothing to wait for
});
