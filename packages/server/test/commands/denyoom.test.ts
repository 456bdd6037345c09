// Which commands the memory limit refuses: Redis's denyoom ones (that may grow the data), after the
// arity check; the memory is not even asked about for the others.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { lookupCommand } from '../../src/commands/command-table.js';
import { refusedForMemory } from '../../src/commands/denyoom.js';
import { cmd } from '../support/kv-helpers.js';

function refused(line: string, over = true): { refused: boolean; asked: boolean } {
  const argv = cmd(line);
  let asked = false;
  const spec = lookupCommand(argv[0]!)!;
  const r = refusedForMemory(spec, argv, () => {
    asked = true;
    return over;
  });
  return { refused: r, asked };
}

test('denyoom commands are refused over the limit, with the right arity', () => {
  for (const line of [
    'set k v',
    'mset a 1 b 2',
    'incr n',
    'lpush l a',
    'hset h f v',
    'sadd s a',
    'zadd z 1 a',
    'append k v',
    'setrange k 0 v',
    'blmove a b left left 0',
    'copy a b',
  ]) {
    assert.deepEqual(refused(line), { refused: true, asked: true }, line);
    assert.deepEqual(refused(line, false), { refused: false, asked: true }, line);
  }
  assert.deepEqual(refused('set k'), { refused: false, asked: true }); // the arity error comes first
});

test('reads, DEL and shrinking writes are never refused, and cost no measurement', () => {
  for (const line of [
    'get k',
    'del k',
    'unlink k',
    'expire k 1',
    'lpop l',
    'srem s a',
    'flushall',
    'ping',
    'info memory',
    'config get maxmemory',
    'publish c m',
  ]) {
    assert.deepEqual(refused(line), { refused: false, asked: false }, line);
  }
});
