// INFO memory's sizes for people, as redis-server 7.0.15 writes them (its answers for maxmemory_human
// after CONFIG SET maxmemory <n>, checked by hand against a real one).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { bytesToHuman } from '../../src/resp/info-memory.js';

test("bytesToHuman is Redis's", () => {
  const redis: [number, string][] = [
    [0, '0B'],
    [1000, '1000B'],
    [1023, '1023B'],
    [1024, '1.00K'],
    [1152, '1.12K'], // 1.125: printf rounds a tie to even
    [1153, '1.13K'],
    [1048570, '1023.99K'],
    [1048571, '1024.00K'], // rounds up without changing unit, as Redis
    [1048576, '1.00M'],
    [1572864, '1.50M'],
    [3221225472, '3.00G'],
    [1099511627776, '1.00T'],
    [1024 ** 5, '1.00P'],
    [2 ** 53, '8.00P'],
  ];
  for (const [n, text] of redis) assert.equal(bytesToHuman(n), text, String(n));
});
