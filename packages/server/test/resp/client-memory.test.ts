// The total of what clients hold (Redis's maxmemory-clients): past the limit, the biggest goes
// first, judged by what each holds now rather than by its last report, until under the limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ClientMemory, type MemoryHolder } from '../../src/resp/client-memory.js';

class Holder implements MemoryHolder {
  evicted: string | null = null;
  constructor(
    readonly name: string,
    public bytes: number,
    private readonly memory: ClientMemory,
  ) {}
  heldBytes(): number {
    return this.evicted === null ? this.bytes : 0;
  }
  evict(reason: string): void {
    this.evicted = reason;
    this.memory.forget(this); // as a connection does when it closes
  }
}

test('under the limit nothing goes; past it the biggest goes first, then the next', () => {
  const memory = new ClientMemory(100);
  const a = new Holder('a', 30, memory);
  const b = new Holder('b', 50, memory);
  const c = new Holder('c', 10, memory);
  for (const h of [a, b, c]) memory.report(h, h.bytes);
  assert.deepEqual([a.evicted, b.evicted, c.evicted], [null, null, null]);
  assert.equal(memory.headroom(), 10);
  // c grows to 80: the total is 160; c (80) goes, then 80 is under 100.
  c.bytes = 80;
  memory.report(c, 80);
  assert.equal(c.evicted, 'it held 80 bytes, the most of all clients, which held 160 (limit 100)');
  assert.equal(a.evicted, null);
  assert.equal(b.evicted, null);
  assert.equal(memory.headroom(), 20);
});

test('reports out of date are refreshed before choosing', () => {
  const memory = new ClientMemory(100);
  const a = new Holder('a', 90, memory);
  const b = new Holder('b', 40, memory);
  memory.report(a, 90);
  a.bytes = 5; // the kernel took most of a's answers since its report
  memory.report(b, 40); // 130 as reported, 45 in fact: nobody goes
  assert.equal(a.evicted, null);
  assert.equal(b.evicted, null);
  assert.equal(memory.headroom(), 55);
  // c makes 105: c, the biggest, goes; d then makes 95.
  const c = new Holder('c', 60, memory);
  const d = new Holder('d', 50, memory);
  memory.report(c, 60);
  memory.report(d, 50);
  assert.match(c.evicted ?? '', /^it held 60 bytes/);
  assert.equal(d.evicted, null);
  d.bytes = 100;
  memory.report(d, 100); // 145: d, the biggest, goes; 45 left
  assert.match(d.evicted ?? '', /^it held 100 bytes/);
  assert.equal(b.evicted, null);
});

test('limit 0: counted, never evicted', () => {
  const memory = new ClientMemory(0);
  const a = new Holder('a', 10 ** 12, memory);
  memory.report(a, a.bytes);
  assert.equal(a.evicted, null);
  assert.equal(memory.headroom(), Infinity);
});
