// The list commands against the key space (replies as Redis 7.0.15 gives them: every expectation
// here was checked against redis-server), and ListValue's ring buffer against a plain array.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import fc from 'fast-check';

import { Keyspace } from '../../src/store/keyspace.js';
import { ListValue } from '../../src/store/values.js';
import { cmd, ks, plain, T0, WRONGTYPE } from '../support/kv-helpers.js';

const NOT_INTEGER = '-ERR value is not an integer or out of range';
const SYNTAX = '-ERR syntax error';

test('LPUSH, RPUSH, LPUSHX, RPUSHX: lengths, order, binary elements, wrong types', () => {
  const { w, r } = ks();
  assert.equal(w('RPUSH l a b'), 2);
  assert.equal(w('LPUSH l c d'), 4);
  assert.deepEqual(r('LRANGE l 0 -1'), ['d', 'c', 'a', 'b']);
  assert.equal(w('LPUSHX nokey a'), 0);
  assert.equal(w('RPUSHX nokey a'), 0);
  assert.equal(r('EXISTS nokey'), 0);
  assert.equal(w('RPUSHX l y z'), 6);
  assert.equal(w('LPUSHX l x'), 7);
  assert.deepEqual(r('LRANGE l 0 -1'), ['x', 'd', 'c', 'a', 'b', 'y', 'z']);
  assert.equal(w(['RPUSH', 'bin', '', '\x00\xff\r\n']), 2);
  assert.deepEqual(r('LRANGE bin 0 -1'), ['', '\x00\xff\r\n']);
  w('SET s x');
  for (const c of ['LPUSH s a', 'RPUSH s a', 'LPUSHX s a', 'RPUSHX s a']) assert.equal(w(c), WRONGTYPE, c);
  assert.equal(r('TYPE l'), '+list');
});

test('LPOP and RPOP, with and without a count; nil and nil array; the emptied list is deleted', () => {
  const { w, r } = ks();
  assert.equal(w('LPOP nokey'), null);
  assert.equal(w('LPOP nokey 2'), '*-1');
  assert.equal(w('RPOP nokey 0'), '*-1');
  w('RPUSH l a b c a b c');
  assert.equal(w('LPOP l 1 2'), "-ERR wrong number of arguments for 'lpop' command");
  for (const bad of ['-1', 'abc', '1.5']) {
    assert.equal(w(`LPOP l ${bad}`), '-ERR value is out of range, must be positive', bad);
    assert.equal(w(`LPOP nokey ${bad}`), '-ERR value is out of range, must be positive', bad);
  }
  assert.deepEqual(w('LPOP l 0'), []);
  assert.equal(w('LPOP l'), 'a');
  assert.equal(w('RPOP l'), 'c');
  assert.deepEqual(w('RPOP l 2'), ['b', 'a']);
  assert.deepEqual(w('LPOP l 9223372036854775807'), ['b', 'c']);
  assert.equal(r('EXISTS l'), 0);
  w('SET s x');
  assert.equal(w('LPOP s'), WRONGTYPE);
  assert.equal(w('LPOP s 0'), WRONGTYPE);
});

test('LLEN, LINDEX: negative indexes, out of range, the key is looked up before the index is read', () => {
  const { w, r } = ks();
  assert.equal(r('LLEN nokey'), 0);
  w('RPUSH l a b c');
  assert.equal(r('LLEN l'), 3);
  assert.equal(r('LINDEX l 0'), 'a');
  assert.equal(r('LINDEX l -1'), 'c');
  assert.equal(r('LINDEX l -3'), 'a');
  assert.equal(r('LINDEX l 3'), null);
  assert.equal(r('LINDEX l -4'), null);
  assert.equal(r('LINDEX l abc'), NOT_INTEGER);
  assert.equal(r('LINDEX l 9223372036854775808'), NOT_INTEGER);
  assert.equal(r('LINDEX l 9223372036854775807'), null);
  assert.equal(r('LINDEX nokey abc'), null);
  w('SET s x');
  assert.equal(r('LLEN s'), WRONGTYPE);
  assert.equal(r('LINDEX s 0'), WRONGTYPE);
});

test("LSET: 'no such key' before the index is read, 'index out of range', negative indexes", () => {
  const { w, r } = ks();
  assert.equal(w('LSET nokey 0 x'), '-ERR no such key');
  assert.equal(w('LSET nokey abc x'), '-ERR no such key');
  w('RPUSH l a b c d');
  assert.equal(w('LSET l abc x'), NOT_INTEGER);
  assert.equal(w('LSET l 4 x'), '-ERR index out of range');
  assert.equal(w('LSET l -5 x'), '-ERR index out of range');
  assert.equal(w('LSET l -4 x'), '+OK');
  assert.equal(w('LSET l 3 y'), '+OK');
  assert.deepEqual(r('LRANGE l 0 -1'), ['x', 'b', 'c', 'y']);
  w('SET s x');
  assert.equal(w('LSET s 0 x'), WRONGTYPE);
});

test('LRANGE and LTRIM: Redis index rules; LTRIM deletes an emptied list; indexes are read before the key', () => {
  const { w, r } = ks();
  assert.equal(r('LRANGE nokey abc 1'), NOT_INTEGER);
  assert.deepEqual(r('LRANGE nokey 0 1'), []);
  w('RPUSH l a b c d e f g h i j');
  assert.deepEqual(r('LRANGE l -100 100'), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
  assert.deepEqual(r('LRANGE l 2 1'), []);
  assert.deepEqual(r('LRANGE l -2 -1'), ['i', 'j']);
  assert.deepEqual(r('LRANGE l -11 0'), ['a'], 'a start just before the head is the head');
  assert.deepEqual(r('LRANGE l 8 100'), ['i', 'j']);
  assert.deepEqual(r('LRANGE l 10 100'), []);
  assert.equal((r('LRANGE l -9223372036854775808 9223372036854775807') as string[]).length, 10);
  assert.equal(w('LTRIM nokey a 1'), NOT_INTEGER);
  assert.equal(w('LTRIM nokey 0 1'), '+OK');
  assert.equal(w('LTRIM l 1 -2'), '+OK'); // keeps most: the ends are popped
  assert.deepEqual(r('LRANGE l 0 -1'), ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']);
  assert.equal(w('LTRIM l 2 3'), '+OK'); // keeps a little: copied
  assert.deepEqual(r('LRANGE l 0 -1'), ['d', 'e']);
  assert.equal(w('LTRIM l -1 100'), '+OK');
  assert.deepEqual(r('LRANGE l 0 -1'), ['e']);
  assert.equal(w('LTRIM l 5 1'), '+OK');
  assert.equal(r('EXISTS l'), 0);
  w('SET s x');
  assert.equal(r('LRANGE s 0 1'), WRONGTYPE);
  assert.equal(r('LRANGE s a 1'), NOT_INTEGER);
  assert.equal(w('LTRIM s 0 1'), WRONGTYPE);
});

test('LREM: from the head, from the tail, all; deletes an emptied list', () => {
  const { w, r } = ks();
  assert.equal(w('LREM nokey abc a'), NOT_INTEGER);
  assert.equal(w('LREM nokey 0 a'), 0);
  w('RPUSH l a b a c a');
  assert.equal(w('LREM l -2 a'), 2);
  assert.deepEqual(r('LRANGE l 0 -1'), ['a', 'b', 'c']);
  assert.equal(w('LREM l 0 zz'), 0);
  w('RPUSH l a b');
  assert.equal(w('LREM l 1 b'), 1);
  assert.deepEqual(r('LRANGE l 0 -1'), ['a', 'c', 'a', 'b']);
  assert.equal(w('LREM l 0 a'), 2);
  assert.deepEqual(r('LRANGE l 0 -1'), ['c', 'b']);
  assert.equal(w('LREM l -9223372036854775808 c'), 1);
  assert.equal(w('LREM l 100 b'), 1);
  assert.equal(r('EXISTS l'), 0);
  w('SET s x');
  assert.equal(w('LREM s 0 a'), WRONGTYPE);
});

test('LINSERT: BEFORE / AFTER the first pivot; -1 without it, 0 without the key; the keyword is read first', () => {
  const { w, r } = ks();
  assert.equal(w('LINSERT nokey middle b x'), SYNTAX);
  assert.equal(w('LINSERT nokey before b x'), 0);
  w('RPUSH l a b c b');
  assert.equal(w('LINSERT l middle b x'), SYNTAX);
  assert.equal(w('LINSERT l BEFORE zz x'), -1);
  assert.equal(w('LINSERT l AFTER b x'), 5);
  assert.equal(w('LINSERT l before a y'), 6);
  assert.equal(w('LINSERT l after b end'), 7);
  assert.equal(w('LINSERT l before x pre'), 8);
  assert.deepEqual(r('LRANGE l 0 -1'), ['y', 'a', 'b', 'end', 'pre', 'x', 'c', 'b']);
  w('SET s x');
  assert.equal(w('LINSERT s before b x'), WRONGTYPE);
});

test('LPOS: RANK, COUNT, MAXLEN, their errors, and RANK -2^63 as Redis overflows it', () => {
  const { w, r } = ks();
  assert.equal(r('LPOS nokey a'), null);
  assert.deepEqual(r('LPOS nokey a COUNT 0'), []);
  const rankZero =
    "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
  assert.equal(r('LPOS nokey a RANK 0'), rankZero);
  assert.equal(r('LPOS nokey a RANK abc'), NOT_INTEGER);
  assert.equal(r('LPOS nokey a COUNT -1'), "-ERR COUNT can't be negative");
  assert.equal(r('LPOS nokey a COUNT abc'), "-ERR COUNT can't be negative");
  assert.equal(r('LPOS nokey a MAXLEN -1'), "-ERR MAXLEN can't be negative");
  assert.equal(r('LPOS nokey a MAXLEN abc'), "-ERR MAXLEN can't be negative");
  assert.equal(r('LPOS nokey a foo'), SYNTAX);
  assert.equal(r('LPOS nokey a COUNT'), SYNTAX);
  w('SET s x');
  assert.equal(r('LPOS s a'), WRONGTYPE);
  assert.equal(r('LPOS s a RANK 0'), rankZero);
  w('RPUSH p a b c a b c a');
  assert.equal(r('LPOS p a'), 0);
  assert.equal(r('LPOS p a RANK 2'), 3);
  assert.equal(r('LPOS p a RANK -1'), 6);
  assert.deepEqual(r('LPOS p a RANK -2 COUNT 0'), [3, 0]);
  assert.deepEqual(r('LPOS p a COUNT 0'), [0, 3, 6]);
  assert.deepEqual(r('LPOS p a COUNT 2 RANK 2'), [3, 6]);
  assert.deepEqual(r('LPOS p a MAXLEN 4 COUNT 0'), [0, 3]);
  assert.deepEqual(r('LPOS p a RANK -1 MAXLEN 2 COUNT 0'), [6]);
  assert.equal(r('LPOS p a RANK 5'), null);
  assert.deepEqual(r('LPOS p a RANK 5 COUNT 0'), []);
  assert.equal(r('LPOS p zz'), null);
  assert.equal(r('LPOS p a RANK 1 RANK 2'), 3);
  assert.deepEqual(r('LPOS p a COUNT 1 COUNT 0'), [0, 3, 6]);
  assert.equal(r('LPOS p a RANK -9223372036854775808'), 6);
  assert.deepEqual(r('LPOS p a RANK -9223372036854775808 COUNT 2'), [6, 3, 0]);
  assert.deepEqual(r('LPOS p a RANK -9223372036854775807 COUNT 2'), []);
  assert.deepEqual(r('LPOS p a COUNT 9223372036854775807'), [0, 3, 6]);
  assert.equal(r('LPOS p a COUNT 9223372036854775808'), "-ERR COUNT can't be negative");
});

test('LMOVE and RPOPLPUSH: ends, the same list as both, wrong types checked before anything moves', () => {
  const { w, r } = ks();
  assert.equal(w('LMOVE l d up left'), SYNTAX);
  assert.equal(w('LMOVE nokey d left up'), SYNTAX);
  assert.equal(w('LMOVE nokey d left left'), null);
  w('SET s x');
  assert.equal(w('LMOVE nokey s left left'), null);
  assert.equal(w('LMOVE s d left left'), WRONGTYPE);
  w('RPUSH l a b c');
  assert.equal(w('LMOVE l s left left'), WRONGTYPE);
  assert.deepEqual(r('LRANGE l 0 -1'), ['a', 'b', 'c']);
  assert.equal(w('LMOVE l l LEFT RIGHT'), 'a');
  assert.deepEqual(r('LRANGE l 0 -1'), ['b', 'c', 'a']);
  assert.equal(w('LMOVE l d right left'), 'a');
  assert.equal(w('RPOPLPUSH l d'), 'c');
  assert.deepEqual(r('LRANGE d 0 -1'), ['c', 'a']);
  assert.equal(w('RPOPLPUSH s d'), WRONGTYPE);
  assert.equal(w('RPOPLPUSH l s'), WRONGTYPE);
  assert.equal(w('LMOVE l d left right'), 'b');
  assert.equal(r('EXISTS l'), 0);
  w('RPUSH one x');
  assert.equal(w('LMOVE one one left left'), 'x');
  assert.equal(w('RPOPLPUSH one one'), 'x');
  assert.deepEqual(r('LRANGE one 0 -1'), ['x']);
});

test('LMPOP: numkeys, LEFT | RIGHT, COUNT, checked in that order; pops from the first list with elements', () => {
  const { w, r } = ks();
  for (const n of ['0', 'abc', '-1', '9223372036854775808']) {
    assert.equal(w(`LMPOP ${n} l LEFT`), '-ERR numkeys should be greater than 0', n);
  }
  assert.equal(w('LMPOP 2 l LEFT'), SYNTAX);
  assert.equal(w('LMPOP 9223372036854775807 l LEFT'), SYNTAX);
  assert.equal(w('LMPOP 1 l MIDDLE'), SYNTAX);
  assert.equal(w('LMPOP 1 nokey LEFT'), '*-1');
  for (const c of ['0', 'abc', '-1'])
    assert.equal(w(`LMPOP 1 nokey LEFT COUNT ${c}`), '-ERR count should be greater than 0');
  assert.equal(w('LMPOP 1 nokey LEFT COUNT 1 COUNT 2'), SYNTAX);
  assert.equal(w('LMPOP 1 nokey LEFT foo'), SYNTAX);
  assert.equal(w('LMPOP 1 nokey LEFT COUNT'), SYNTAX);
  w('SET s x');
  assert.equal(w('LMPOP 2 nokey s LEFT'), WRONGTYPE);
  w('RPUSH m 1 2 3 4 5');
  assert.equal(w('LMPOP 2 s m LEFT'), WRONGTYPE);
  assert.deepEqual(w('LMPOP 2 nokey m LEFT COUNT 2'), ['m', ['1', '2']]);
  assert.deepEqual(w('LMPOP 1 m right'), ['m', ['5']]);
  assert.deepEqual(w('LMPOP 2 m s Right count 100'), ['m', ['4', '3']]);
  assert.equal(r('EXISTS m'), 0);
});

test('the blocking commands as applied: the non-blocking form; the timeout checked first, in its place', () => {
  const { w, r } = ks();
  assert.equal(w('BLPOP nokey abc'), '-ERR timeout is not a float or out of range');
  assert.equal(w('BLPOP nokey -1'), '-ERR timeout is negative');
  assert.equal(w('BLPOP nokey 0'), '*-1');
  assert.equal(w('BRPOP nokey other 0.5'), '*-1');
  assert.equal(w('BLMOVE nokey d LEFT LEFT 0'), null);
  assert.equal(w('BRPOPLPUSH nokey d 0'), null);
  assert.equal(w('BLMPOP 0 1 nokey LEFT'), '*-1');
  w('SET s x');
  assert.equal(w('BLPOP s abc'), '-ERR timeout is not a float or out of range');
  assert.equal(w('BLPOP nokey s 0'), WRONGTYPE);
  w('RPUSH l a b c');
  assert.deepEqual(w('BLPOP nokey l s 0'), ['l', 'a']); // stops at the first list with elements
  assert.deepEqual(w('BRPOP l 0'), ['l', 'c']);
  assert.equal(w('BLMOVE l d UP LEFT abc'), SYNTAX);
  assert.equal(w('BLMOVE l d LEFT LEFT abc'), '-ERR timeout is not a float or out of range');
  assert.equal(w('BRPOPLPUSH l d -1'), '-ERR timeout is negative');
  assert.equal(w('BLMOVE l d LEFT RIGHT 0'), 'b');
  w('RPUSH l x y z');
  assert.equal(w('BRPOPLPUSH l d 0'), 'z');
  assert.deepEqual(r('LRANGE d 0 -1'), ['z', 'b']);
  // BLMPOP: numkeys, the end, COUNT, and only then the timeout.
  assert.equal(w('BLMPOP abc 0 l LEFT'), '-ERR numkeys should be greater than 0');
  assert.equal(w('BLMPOP abc 1 l MIDDLE'), SYNTAX);
  assert.equal(w('BLMPOP -1 1 l LEFT COUNT 0'), '-ERR count should be greater than 0');
  assert.equal(w('BLMPOP -1 1 l LEFT'), '-ERR timeout is negative');
  assert.deepEqual(w('BLMPOP 0 2 nokey l RIGHT COUNT 5'), ['l', ['y', 'x']]);
  assert.equal(r('EXISTS l'), 0);
});

test('a list in a transaction: a blocking command answers nil at once, reads see the writes before them', () => {
  const k = new Keyspace();
  const replies = ['RPUSH l a', 'LRANGE l 0 -1', 'BLPOP l 0', 'BLPOP l 0', 'LLEN l'].map((c) =>
    plain(k.applyInTransaction(cmd(c), T0)),
  );
  assert.deepEqual(replies, [1, ['a'], ['l', 'a'], '*-1', 0]);
});

test('every change a list command makes bumps the key version (WATCH) and marks a list with elements ready', () => {
  const { w, k } = ks();
  let index = 1;
  const changes = (line: string): boolean => {
    k.beginBatch(++index);
    k.ready.clear();
    w(line);
    return k.versionOf('l') === index;
  };
  assert.ok(changes('RPUSH l a b c'));
  assert.deepEqual([...k.ready], ['l']);
  assert.ok(changes('LSET l 0 x'));
  assert.ok(changes('LTRIM l 0 -1'), 'LTRIM changes the key even when it keeps everything (as in Redis)');
  assert.ok(!changes('LREM l 0 nothing'), 'an LREM that removes nothing changes nothing');
  assert.ok(!changes('LINSERT l BEFORE nothing y'));
  assert.ok(changes('LINSERT l BEFORE x y'));
  assert.ok(!changes('LPOP l 0'));
  assert.ok(changes('LMOVE l other LEFT LEFT'));
  assert.deepEqual([...k.ready].sort(), ['l', 'other']);
  assert.ok(changes('LPOP l 5'));
  assert.equal(k.values.has('l'), false);
  assert.deepEqual([...k.ready], [], 'an emptied list is not ready');
});

test('ListValue: its ring buffer matches a plain array under any sequence of edits', () => {
  type Op =
    | { op: 'pushFront' | 'pushBack'; v: string }
    | { op: 'popFront' | 'popBack' }
    | { op: 'insert'; at: number; v: string }
    | { op: 'set'; at: number; v: string }
    | { op: 'replace'; keep: number };
  const value = fc.string({ maxLength: 3 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constantFrom('pushFront' as const, 'pushBack' as const), v: value }),
    fc.record({ op: fc.constantFrom('popFront' as const, 'popBack' as const) }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), v: value }),
    fc.record({ op: fc.constant('set' as const), at: fc.nat(), v: value }),
    fc.record({ op: fc.constant('replace' as const), keep: fc.nat() }),
  );
  fc.assert(
    fc.property(
      fc.array(fc.oneof({ weight: 3, arbitrary: op }, fc.constant<Op>({ op: 'pushBack', v: 'x' })), { maxLength: 400 }),
      (ops) => {
        const list = new ListValue();
        const model: string[] = [];
        for (const o of ops) {
          switch (o.op) {
            case 'pushFront':
              list.pushFront(o.v);
              model.unshift(o.v);
              break;
            case 'pushBack':
              list.pushBack(o.v);
              model.push(o.v);
              break;
            case 'popFront':
              assert.equal(list.popFront(), model.shift());
              break;
            case 'popBack':
              assert.equal(list.popBack(), model.pop());
              break;
            case 'insert': {
              const at = o.at % (model.length + 1);
              list.insert(at, o.v);
              model.splice(at, 0, o.v);
              break;
            }
            case 'set':
              if (model.length === 0) break;
              list.set(o.at % model.length, o.v);
              model[o.at % model.length] = o.v;
              break;
            case 'replace': {
              const kept = model.slice(0, o.keep % (model.length + 1));
              list.replace(kept);
              model.length = kept.length;
              break;
            }
          }
          assert.equal(list.length, model.length);
        }
        assert.deepEqual(list.slice(), model);
        for (let i = 0; i < model.length; i++) assert.equal(list.at(i), model[i]);
      },
    ),
    { numRuns: 300 },
  );
});

test('ListValue gives back the buffer of a drained long list', () => {
  const list = new ListValue();
  for (let i = 0; i < 100_000; i++) list.pushBack(String(i));
  for (let i = 0; i < 99_990; i++) list.popFront();
  assert.deepEqual(list.slice(), [
    '99990',
    '99991',
    '99992',
    '99993',
    '99994',
    '99995',
    '99996',
    '99997',
    '99998',
    '99999',
  ]);
  const buffer = (list as unknown as { items: unknown[] }).items;
  assert.ok(buffer.length <= 64, `a buffer of ${buffer.length} slots for 10 elements`);
});
