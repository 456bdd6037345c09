// The hash commands against the key space. Expected replies and errors are Redis 7.0.15's, taken
// from a real redis-server (test/service/hashes-sets.test.ts compares the two on a live cluster).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Keyspace } from '../../src/store/keyspace.js';
import { MAX_REPEATED_PICKS } from '../../src/store/families/random-picks.js';
import { batchedKs, cmd, plain, T0, WRONGTYPE } from '../support/kv-helpers.js';

/** batchedKs, with `w` and `r` as the other store tests name them (here both run any command). */
function ks() {
  const kv = batchedKs();
  return { ...kv, w: kv.run, r: kv.run };
}

test('HSET, HGET, HMGET, HLEN, HEXISTS, HSTRLEN: binary-safe fields and values', () => {
  const { w, r } = ks();
  assert.equal(w('HSET h a 1 b 2'), 2);
  assert.equal(w('HSET h a 10 c 3'), 1, 'only new fields count');
  assert.equal(w(['HSET', 'h', '\x00\xff', '\r\n']), 1);
  assert.equal(w(['HSET', 'h', '', '']), 1);
  assert.equal(r('HGET h a'), '10');
  assert.equal(r(['HGET', 'h', '\x00\xff']), '\r\n');
  assert.equal(r(['HGET', 'h', '']), '');
  assert.equal(r('HGET h nope'), null);
  assert.equal(r('HGET none a'), null);
  assert.deepEqual(r('HMGET h a nope b'), ['10', null, '2']);
  assert.deepEqual(r('HMGET none a b'), [null, null]);
  assert.equal(r('HLEN h'), 5);
  assert.equal(r('HLEN none'), 0);
  assert.equal(r('HEXISTS h b'), 1);
  assert.equal(r('HEXISTS h nope'), 0);
  assert.equal(r('HEXISTS none b'), 0);
  assert.equal(r('HSTRLEN h a'), 2);
  assert.equal(r('HSTRLEN h nope'), 0);
  assert.equal(r('HSTRLEN none a'), 0);
  assert.equal(r('TYPE h'), '+hash');
});

test('HKEYS, HVALS, HGETALL in insertion order (Redis listpack order): a field set again keeps its place', () => {
  const { w, r } = ks();
  w('HSET h z 1 a 2 m 3');
  w('HSET h a 20');
  w('HDEL h z');
  w('HSET h z 4');
  assert.deepEqual(r('HKEYS h'), ['a', 'm', 'z']);
  assert.deepEqual(r('HVALS h'), ['20', '3', '4']);
  assert.deepEqual(r('HGETALL h'), { map: ['a', '20', 'm', '3', 'z', '4'] });
  assert.deepEqual(r('HKEYS none'), []);
  assert.deepEqual(r('HVALS none'), []);
  assert.deepEqual(r('HGETALL none'), { map: [] });
});

test('HGETALL is a map in RESP3 (empty map for a missing key), a flat array in RESP2', () => {
  const { w, raw } = ks();
  w('HSET h a 1 b 2');
  assert.equal(raw('HGETALL h', true), '%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
  assert.equal(raw('HGETALL h', false), '*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
  assert.equal(raw('HGETALL none', true), '%0\r\n');
  assert.equal(raw('HGETALL none', false), '*0\r\n');
  assert.equal(raw('HKEYS h', true), '*2\r\n$1\r\na\r\n$1\r\nb\r\n');
  assert.equal(raw('HMGET h a x', true), '*2\r\n$1\r\n1\r\n_\r\n');
});

test('HMSET answers OK; HSET and HMSET with a field but no value: wrong arity with their own name', () => {
  const { w, r } = ks();
  assert.equal(w('HMSET h a 1 b 2'), '+OK');
  assert.equal(w('HMSET h a 9'), '+OK');
  assert.deepEqual(r('HGETALL h'), { map: ['a', '9', 'b', '2'] });
  assert.equal(w('HSET h a 1 b'), "-ERR wrong number of arguments for 'hset' command");
  assert.equal(w('HMSET h a 1 b'), "-ERR wrong number of arguments for 'hmset' command");
  assert.equal(w('HSET h a'), "-ERR wrong number of arguments for 'hset' command");
  assert.equal(w('HSET new a 1 b'), "-ERR wrong number of arguments for 'hset' command");
  assert.equal(r('EXISTS new'), 0, 'nothing created');
  assert.deepEqual(r('HGETALL h'), { map: ['a', '9', 'b', '2'] }, 'nothing changed');
});

test('HSETNX sets only a new field', () => {
  const { w, r } = ks();
  assert.equal(w('HSETNX h a 1'), 1);
  assert.equal(w('HSETNX h a 2'), 0);
  assert.equal(w('HSETNX h b 3'), 1);
  assert.deepEqual(r('HGETALL h'), { map: ['a', '1', 'b', '3'] });
});

test('HDEL: how many were deleted; the key goes with its last field', () => {
  const { w, r, k } = ks();
  w('HSET h a 1 b 2 c 3');
  assert.equal(w('HDEL h a x a'), 1);
  assert.equal(w('HDEL none a'), 0);
  const version = k.versionOf('h');
  assert.equal(w('HDEL h x y'), 0);
  assert.equal(k.versionOf('h'), version, 'deleting nothing is no change (WATCH)');
  assert.equal(w('HDEL h b c x'), 2);
  assert.equal(r('EXISTS h'), 0);
  assert.notEqual(k.versionOf('h'), version);
});

test('every hash command against another type: WRONGTYPE, nothing changed', () => {
  const { w, r } = ks();
  w('SET s v');
  for (const c of ['HSET s a 1', 'HMSET s a 1', 'HSETNX s a 1', 'HDEL s a', 'HINCRBY s a 1', 'HINCRBYFLOAT s a 1']) {
    assert.equal(w(c), WRONGTYPE, c);
  }
  for (const c of [
    'HGET s a',
    'HMGET s a',
    'HLEN s',
    'HSTRLEN s a',
    'HEXISTS s a',
    'HKEYS s',
    'HVALS s',
    'HGETALL s',
    'HRANDFIELD s',
    'HRANDFIELD s 1',
    'HRANDFIELD s 0 WITHVALUES',
    'HSCAN s 0',
  ]) {
    assert.equal(r(c), WRONGTYPE, c);
  }
  assert.equal(r('GET s'), 'v');
});

test('HINCRBY: integers in 64 bits; the hash value and the increment checked as Redis does', () => {
  const { w, r } = ks();
  assert.equal(w('HINCRBY h n 5'), 5);
  assert.equal(w('HINCRBY h n -7'), -2);
  assert.equal(w('HINCRBY h big 9223372036854775807'), 9223372036854775807n);
  assert.equal(w('HINCRBY h big 1'), '-ERR increment or decrement would overflow');
  assert.equal(w('HINCRBY h big -9223372036854775807'), 0);
  assert.equal(w('HINCRBY h neg -9223372036854775808'), -9223372036854775808n);
  assert.equal(w('HINCRBY h neg -1'), '-ERR increment or decrement would overflow');
  assert.equal(w('HINCRBY h n x'), '-ERR value is not an integer or out of range');
  assert.equal(w('HINCRBY h n 1.5'), '-ERR value is not an integer or out of range');
  assert.equal(w('HINCRBY h n 9223372036854775808'), '-ERR value is not an integer or out of range');
  w('HSET h s abc f 1.5 sp 01');
  assert.equal(w('HINCRBY h s 1'), '-ERR hash value is not an integer');
  assert.equal(w('HINCRBY h f 1'), '-ERR hash value is not an integer');
  assert.equal(w('HINCRBY h sp 1'), '-ERR hash value is not an integer');
  assert.equal(w('HINCRBY none n x'), '-ERR value is not an integer or out of range');
  assert.equal(r('EXISTS none'), 0, 'a bad increment creates nothing');
  assert.equal(r('HGET h n'), '-2');
  assert.equal(r('HGET h big'), '0');
});

/** Redis's HINCRBYFLOAT replies for 1e308, then 1e308 again. */
const E308 =
  '99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225' +
  '054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563' +
  '061268364901618630217086589253444881623791300855757318142424510452728255046343928578048';
const TWICE_E308 =
  '19999999999999999999337175931169129132112019969483113441559409598984346973767612374420025384377707864089349445' +
  '010802644630426949918792116719484162886039283753591820003920638155732621920901421333587830679157787782912108712' +
  '6122536729803237260434173178506889763247582601711514636284849020905456510092687857156096';

test('HINCRBYFLOAT: 80-bit long double arithmetic and "%.17Lf" replies, byte for byte as Redis', () => {
  const { w, r } = ks();
  // [field, increment, Redis's reply] in sequence.
  const steps: [string, string, string][] = [
    ['f', '0.1', '0.1'],
    ['f', '0.2', '0.3'], // a double sum would be 0.30000000000000004
    ['d', '0.1', '0.1'],
    ['d', '0.1', '0.2'],
    ['d', '0.1', '0.3'],
    ['p', '123456789.123456789', '123456789.12345678899873747'],
    ['t', '0.000003814697265625', '0.00000381469726562'], // 2^-18: a tie at 17 decimals, to even
    ['t2', '-0.000003814697265625', '-0.00000381469726562'],
    ['t3', '0.000011444091796875', '0.00001144409179688'],
    ['e', '1e17', '100000000000000000'],
    ['e', '0.3', '100000000000000000.296875'],
    ['g', '12345678901234567890.5', '12345678901234567890'],
    ['n', '-1e-30', '0'], // "-0.00000000000000000" trimmed to "-0", written "0"
    ['m', '-5', '-5'],
    ['m', '4.99999999999999999999', '0'],
    ['x', '0x1.8p1', '3'],
    ['x2', '0X.8P-1', '0.25'],
    ['z', '0e99999999999999', '0'],
    ['s', '.5', '0.5'],
    ['s2', '5.', '5'],
    ['s3', '+1', '1'],
    ['s4', '1.00000000000000000000000000000000000000001', '1'],
    ['s5', '0.000000000000000005', '0'],
    ['s6', '0.000000000000000015', '0.00000000000000002'],
    ['sub', '1e-4940', '0'],
  ];
  for (const [field, incr, reply] of steps)
    assert.equal(w(['HINCRBYFLOAT', 'h', field, incr]), reply, `${field} ${incr}`);
  // Beyond a double's digits: the long double's exact value, printed whole.
  assert.equal(w('HINCRBYFLOAT h big 1e308'), E308);
  assert.equal(w('HINCRBYFLOAT h big 1e308'), TWICE_E308);
  const beyondDouble = w('HINCRBYFLOAT h ld 1e400') as string;
  assert.equal(beyondDouble.length, 401, 'beyond a double, within a long double');
  assert.ok(beyondDouble.startsWith('100000000000000000002818806839475865145864534336290520386259106935396855'));
  assert.equal(r('HGET h f'), '0.3', 'the reply is what is stored');
});

test('HINCRBYFLOAT errors, in Redis order', () => {
  const { w, r } = ks();
  w('HSET h s abc inf inf sp 1 big 1e4932 hex 0x10');
  const cases: [string, string][] = [
    ['HINCRBYFLOAT h f abc', '-ERR value is not a valid float'],
    ['HINCRBYFLOAT h f nan', '-ERR value is not a valid float'],
    ['HINCRBYFLOAT h f NaN(123)', '-ERR value is not a valid float'],
    ['HINCRBYFLOAT h f 1e', '-ERR value is not a valid float'],
    ['HINCRBYFLOAT h f 0x', '-ERR value is not a valid float'],
    ['HINCRBYFLOAT h f infinit', '-ERR value is not a valid float'],
    ['HINCRBYFLOAT h f 1e4933', '-ERR value is not a valid float'], // overflows a long double
    ['HINCRBYFLOAT h f 1.18973149535723176508e4932', '-ERR value is not a valid float'],
    ['HINCRBYFLOAT h f 1e-4951', '-ERR value is not a valid float'], // rounds to 0
    ['HINCRBYFLOAT h f 1e-99999999999999', '-ERR value is not a valid float'],
    ['HINCRBYFLOAT h f inf', '-ERR value is NaN or Infinity'],
    ['HINCRBYFLOAT h f -INF', '-ERR value is NaN or Infinity'],
    ['HINCRBYFLOAT h f Infinity', '-ERR value is NaN or Infinity'],
    ['HINCRBYFLOAT h s 1', '-ERR hash value is not a float'],
    ['HINCRBYFLOAT h inf 1', '-ERR increment would produce NaN or Infinity'],
    ['HINCRBYFLOAT h big 1e4932', '-ERR increment would produce NaN or Infinity'],
  ];
  for (const [c, reply] of cases) assert.equal(w(c), reply, c);
  assert.equal(w(['HINCRBYFLOAT', 'h', 'f', ' 1']), '-ERR value is not a valid float', 'leading space');
  assert.equal(w(['HINCRBYFLOAT', 'h', 'f', '1 ']), '-ERR value is not a valid float', 'trailing space');
  assert.equal(w(['HINCRBYFLOAT', 'h', 'f', '1'.repeat(5120)]), '-ERR value is not a valid float', 'too long');
  assert.equal(w(['HINCRBYFLOAT', 'h', 'f', '0'.repeat(5119)]), '0', 'just short enough');
  w(['HSET', 'h', 'sp', ' 1']);
  assert.equal(w('HINCRBYFLOAT h sp 1'), '-ERR hash value is not a float');
  assert.equal(w('HINCRBYFLOAT h hex 1'), '17', 'a hexadecimal hash value is a float');
  assert.equal(w('HINCRBYFLOAT none f inf'), '-ERR value is NaN or Infinity');
  assert.equal(r('EXISTS none'), 0);
  assert.equal(r('HGET h s'), 'abc');
});

test('HRANDFIELD: one field, or a count as Redis 7.0 reads it', () => {
  const { w, r } = ks();
  w('HSET h a 1 b 2 c 3');
  for (let i = 0; i < 20; i++) assert.ok(['a', 'b', 'c'].includes(r('HRANDFIELD h') as string));
  assert.equal(r('HRANDFIELD none'), null);
  assert.deepEqual(r('HRANDFIELD h 0'), []);
  assert.deepEqual(r('HRANDFIELD h 3'), ['a', 'b', 'c'], 'count >= size: the whole hash, in order');
  assert.deepEqual(r('HRANDFIELD h 100 WITHVALUES'), ['a', '1', 'b', '2', 'c', '3']);
  for (let i = 0; i < 20; i++) {
    const two = r('HRANDFIELD h 2') as string[];
    assert.equal(two.length, 2);
    assert.equal(new Set(two).size, 2, 'a positive count: distinct fields');
    const pairs = r('HRANDFIELD h 2 withvalues') as string[];
    assert.equal(pairs.length, 4);
    assert.equal(pairs[1], { a: '1', b: '2', c: '3' }[pairs[0]!]);
    assert.equal(pairs[3], { a: '1', b: '2', c: '3' }[pairs[2]!]);
  }
  const many = r('HRANDFIELD h -200') as string[];
  assert.equal(many.length, 200, 'a negative count: that many, repeating');
  assert.deepEqual(new Set(many), new Set(['a', 'b', 'c']));
  assert.equal((r('HRANDFIELD h -5 WITHVALUES') as string[]).length, 10);
  assert.deepEqual(r('HRANDFIELD none 5'), []);
  assert.deepEqual(r('HRANDFIELD none -5 WITHVALUES'), []);
});

test('HRANDFIELD WITHVALUES: pairs nested in RESP3, flat in RESP2', () => {
  const { w, raw } = ks();
  w('HSET h a 1');
  assert.equal(raw('HRANDFIELD h 1 WITHVALUES', true), '*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n');
  assert.equal(raw('HRANDFIELD h 1 WITHVALUES', false), '*2\r\n$1\r\na\r\n$1\r\n1\r\n');
  assert.equal(
    raw('HRANDFIELD h -2 WITHVALUES', true),
    '*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n',
  );
  assert.equal(raw('HRANDFIELD h 0 WITHVALUES', true), '*0\r\n');
  assert.equal(raw('HRANDFIELD none', true), '_\r\n');
});

test('HRANDFIELD errors: the count first, then the syntax, then the key', () => {
  const { w, r } = ks();
  w('SET s v');
  w('HSET h a 1');
  const cases: [string, string][] = [
    ['HRANDFIELD h x', '-ERR value is not an integer or out of range'],
    ['HRANDFIELD s x', '-ERR value is not an integer or out of range'],
    ['HRANDFIELD h 9223372036854775808', '-ERR value is not an integer or out of range'],
    [
      'HRANDFIELD h -9223372036854775808',
      '-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
    ],
    ['HRANDFIELD h 1 withvalue', '-ERR syntax error'],
    ['HRANDFIELD h 1 WITHVALUES x', '-ERR syntax error'],
    ['HRANDFIELD s 1 x', '-ERR syntax error'],
    ['HRANDFIELD h -4611686018427387904 WITHVALUES', '-ERR value is out of range'],
    ['HRANDFIELD h 4611686018427387904 WITHVALUES', '-ERR value is out of range'],
    ['HRANDFIELD s 1', WRONGTYPE],
  ];
  for (const [c, reply] of cases) assert.equal(r(c), reply, c);
  assert.deepEqual(r('HRANDFIELD h 4611686018427387903 WITHVALUES'), ['a', '1'], 'LONG_MAX / 2 itself is fine');
  assert.deepEqual(r('HRANDFIELD h 9223372036854775807'), ['a']);
  // Redis would try to build these replies (and run out of memory); here they are refused.
  assert.equal(r(`HRANDFIELD h -${MAX_REPEATED_PICKS + 1}`), '-ERR value is out of range');
  assert.equal(r('HRANDFIELD h -9223372036854775807'), '-ERR value is out of range');
  assert.deepEqual(r('HRANDFIELD none -9223372036854775807'), [], 'a missing key still answers empty');
});

test('HRANDFIELD on a large hash: distinct picks, repeated picks, every field reachable', () => {
  const { w, r } = ks();
  const fields = Array.from({ length: 1000 }, (_, i) => `f${i}`);
  w(['HSET', 'h', ...fields.flatMap((f) => [f, `v${f}`])]);
  for (const n of [1, 5, 300, 400, 999]) {
    const got = r(`HRANDFIELD h ${n} WITHVALUES`) as string[];
    assert.equal(got.length, 2 * n);
    const names = got.filter((_, i) => i % 2 === 0);
    assert.equal(new Set(names).size, n, `${n} distinct`);
    for (let i = 0; i < got.length; i += 2) assert.equal(got[i + 1], `v${got[i]}`);
  }
  const seen = new Set(r('HRANDFIELD h -20000') as string[]);
  assert.equal(seen.size, 1000, 'repeated picks reach every field');
});

test('HSCAN of a small hash: all of it with cursor 0, whatever the cursor (as a Redis listpack)', () => {
  const { w, r } = ks();
  w('HSET h b 1 a 2 ab 3');
  assert.deepEqual(r('HSCAN h 0'), ['0', ['b', '1', 'a', '2', 'ab', '3']]);
  assert.deepEqual(r('HSCAN h 12345 COUNT 1'), ['0', ['b', '1', 'a', '2', 'ab', '3']]);
  assert.deepEqual(r('HSCAN h 0 MATCH a*'), ['0', ['a', '2', 'ab', '3']], 'MATCH filters on the field');
  assert.deepEqual(r('HSCAN h 0 match * count 5'), ['0', ['b', '1', 'a', '2', 'ab', '3']]);
  assert.deepEqual(r('HSCAN h -1'), ['0', ['b', '1', 'a', '2', 'ab', '3']], 'strtoul wraps a negative cursor');
  assert.deepEqual(r('HSCAN h +5'), ['0', ['b', '1', 'a', '2', 'ab', '3']]);
});

test('HSCAN errors, in Redis order: cursor, then the key (missing: empty, options unread), then options', () => {
  const { w, r } = ks();
  w('HSET h a 1');
  w('SET s v');
  const cases: [string | string[], unknown][] = [
    ['HSCAN h x', '-ERR invalid cursor'],
    ['HSCAN none x', '-ERR invalid cursor'],
    ['HSCAN h 18446744073709551616', '-ERR invalid cursor'],
    [['HSCAN', 'h', ' 0'], '-ERR invalid cursor'],
    ['HSCAN none 0 COUNT x BOGUS', ['0', []]],
    ['HSCAN s 0 COUNT x', WRONGTYPE],
    ['HSCAN h 0 COUNT 0', '-ERR syntax error'],
    ['HSCAN h 0 COUNT -1', '-ERR syntax error'],
    ['HSCAN h 0 COUNT x', '-ERR value is not an integer or out of range'],
    ['HSCAN h 0 MATCH', '-ERR syntax error'],
    ['HSCAN h 0 TYPE string', '-ERR syntax error'],
    ['HSCAN h 0 NOVALUES', '-ERR syntax error'],
  ];
  for (const [c, reply] of cases) assert.deepEqual(r(c), reply, String(c));
});

test('HSCAN of a large hash: a real cursor; every field present throughout returned, through changes', () => {
  const { w, r, k } = ks();
  const n = 3000;
  w(['HSET', 'h', ...Array.from({ length: n }, (_, i) => [`f${i}`, `v${i}`]).flat()]);
  // Unchanged: each field once, with its value, in a few calls.
  const seen = new Map<string, string>();
  let cursor = '0';
  let calls = 0;
  do {
    const [next, page] = r(`HSCAN h ${cursor} COUNT 100`) as [string, string[]];
    assert.ok(page.length <= 2 * 110, `about COUNT fields a call: ${page.length / 2}`);
    for (let i = 0; i < page.length; i += 2) {
      assert.ok(!seen.has(page[i]!), `${page[i]} twice`);
      seen.set(page[i]!, page[i + 1]!);
    }
    cursor = next;
    calls++;
  } while (cursor !== '0');
  assert.equal(seen.size, n);
  for (const [f, v] of seen) assert.equal(v, f.replace('f', 'v'));
  assert.ok(calls >= 25 && calls <= 40, `${calls} calls`);

  // Changing between calls: fields added and deleted, the hash growing to 3x and shrinking.
  const returned = new Set<string>();
  cursor = '0';
  let step = 0;
  do {
    const [next, page] = r(`HSCAN h ${cursor} COUNT 20 MATCH f*`) as [string, string[]];
    for (let i = 0; i < page.length; i += 2) returned.add(page[i]!);
    cursor = next;
    step++;
    if (step < 60) w(['HSET', 'h', ...Array.from({ length: 100 }, (_, i) => [`g${step}-${i}`, 'x']).flat()]);
    else w(['HDEL', 'h', ...Array.from({ length: 100 }, (_, i) => `g${step - 59}-${i}`)]);
    w(['HDEL', 'h', `f${step}`]); // f1, f2 ... are not present throughout
  } while (cursor !== '0');
  for (let i = step + 1; i < n; i++) assert.ok(returned.has(`f${i}`), `f${i} missed`);
  assert.ok(k.size > 0);
});

test('hashes survive a snapshot: order, binary fields, and the replies after it', () => {
  const { w, k } = ks();
  w(['HSET', 'h', 'z', '1', '\x00', '\xff', 'a', '']);
  w(['HSET', 'big', ...Array.from({ length: 500 }, (_, i) => [`f${i}`, `${i}`]).flat()]);
  k.read(cmd('HSCAN big 0'), T0); // builds big's index: not part of the state
  const b = Keyspace.restore(k.serialize());
  for (const q of ['HGETALL h', 'HGETALL big', 'HSCAN big 0 COUNT 50', 'HSCAN big 123456789']) {
    assert.deepEqual(plain(b.read(cmd(q), T0)), plain(k.read(cmd(q), T0)), q);
  }
});
