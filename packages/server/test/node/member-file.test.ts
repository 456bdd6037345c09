// The copy of the member table in the data directory (members.json): read back at a restart, where
// a missing or damaged copy is no error (the cluster tells the node again), and rewritten one write
// at a time, the newest table last.
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

test('no copy, or a torn or foreign one: an empty map, no error', async (t) => {
  const dir = tempDir(t);
  assert.deepEqual(await readMemberFile(dir), new Map(), 'no file');
  assert.deepEqual(await readMemberFile(join(dir, 'not-there')), new Map(), 'no directory');
  const file = join(dir, 'members.json');
  for (const text of ['', '[[1,{"raft":"10.0.0.1:7000"', '\u0000\u0000\u0000', '{"1":{"raft":"h:1"}}', 'null', '"x"']) {
    writeFileSync(file, text);
    assert.deepEqual(await readMemberFile(dir), new Map(), JSON.stringify(text));
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
  writeFileSync(join(dir, 'members.json'), JSON.stringify(rows));
  assert.deepEqual(
    await readMemberFile(dir),
    new Map([
      [1, '10.0.0.1:7000'],
      [6, '10.0.0.6:7000'],
    ]),
  );
});

test('the writer keeps the copy in step with the table: many changes, one write at a time, the newest last', async (t) => {
  const dir = tempDir(t);
  const table = new MemberTable();
  const warnings: string[] = [];
  const writer = new MemberFileWriter(
    dir,
    () => table,
    (m) => warnings.push(m),
  );
  table.apply(memberSetCommand(1, address(1)));
  writer.changed();
  await eventually(async () => (await readMemberFile(dir)).size === 1, 'the first copy');
  assert.deepEqual(await readMemberFile(dir), new Map([[1, '10.0.0.1:7000']]));
  assert.deepEqual(
    JSON.parse(readFileSync(join(dir, 'members.json'), 'utf8')),
    JSON.parse(Buffer.from(table.serialize()).toString('utf8')),
    'the copy is the table as a snapshot holds it',
  );

  // A burst of changes while a write is under way: writes never overlap (they share a temporary
  // file, so overlapping ones would fail), and the last one holds the final table.
  for (let id = 2; id <= 40; id++) {
    table.apply(memberSetCommand(id, address(id)));
    if (id % 3 === 0) table.apply(memberDelCommand(id - 1));
    writer.changed();
  }
  const final = new Map(table.entries().map(([id, a]) => [id, a.raft]));
  await eventually(
    async () => JSON.stringify([...(await readMemberFile(dir))]) === JSON.stringify([...final]),
    'the final table in the copy',
  );
  await eventually(() => !existsSync(join(dir, 'members.json.tmp')), 'the last write finished');
  assert.deepEqual(await readMemberFile(dir), final);
  assert.deepEqual(warnings, []);
});

test('a copy that cannot be written is a warning naming the file, not a failure', async (t) => {
  const dir = join(tempDir(t), 'missing');
  const warnings: string[] = [];
  const writer = new MemberFileWriter(
    dir,
    () => new MemberTable(),
    (m) => warnings.push(m),
  );
  writer.changed();
  await eventually(() => warnings.length > 0, 'a warning');
  assert.match(warnings[0]!, /^cannot write members\.json: ENOENT/);
  assert.equal(warnings.length, 1);
});
