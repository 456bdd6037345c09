// The sorted-set commands against the key space: a transcript whose replies were recorded from
// redis-server 7.0.15 (RESP2, and RESP3 where it differs), then what a transcript cannot show:
// sets as inputs, expiry, WATCH versions and ready keys, the blocking forms' nil, replicas that
// agree, ZRANDMEMBER's draws and ZSCAN's walk over a large set.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { lookupCommand } from '../../src/commands/command-table.js';
import { Keyspace } from '../../src/store/keyspace.js';
import { encodeReply } from '../../src/resp/resp-encode.js';
import { SetValue, ZSetValue } from '../../src/store/values.js';
import { prng } from '../../../little-raft/test/support/prng.js';
import { T0 } from '../support/kv-helpers.js';
import { words } from '../support/words.js';

/** A key space that runs command lines (writes applied in their own batch, reads read). */
class Node {
  readonly k = new Keyspace();
  private index = 0;

  run(line: string, resp3 = false, at = T0): string {
    const argv = words(line);
    const spec = lookupCommand(argv[0]!);
    this.k.beginBatch(++this.index);
    const reply = spec?.kind === 'read' ? this.k.read(argv, at) : this.k.applyWrite(argv, at);
    return encodeReply(reply, resp3).toString('latin1');
  }
}

/** [command, RESP2 reply, RESP3 reply if it differs], as redis-server 7.0.15 answered them in order. */
const TRANSCRIPT: [string, string, string?][] = [
  ['zadd z 1 a 2 b 3 c', ':3\r\n'],
  ['zadd z nx 10 a 4 d', ':1\r\n'],
  ['zadd z xx ch 11 a 5 e', ':1\r\n'],
  ['zadd z gt ch 20 a 1 b', ':1\r\n'],
  ['zadd z lt ch 30 a 0 b', ':1\r\n'],
  ['zadd z gt lt 1 a', '-ERR GT, LT, and/or NX options at the same time are not compatible\r\n'],
  ['zadd z nx xx 1 a', '-ERR XX and NX options at the same time are not compatible\r\n'],
  ['zadd z incr 1 a 2 b', '-ERR INCR option supports a single increment-element pair\r\n'],
  ['zadd z incr nx 1 a', '$-1\r\n', '_\r\n'],
  ['zadd z incr xx 1 nope', '$-1\r\n', '_\r\n'],
  ['zadd z incr gt -5 a', '$-1\r\n', '_\r\n'],
  ['zadd z 1 a 2', '-ERR syntax error\r\n'],
  ['zadd z nan a', '-ERR value is not a valid float\r\n'],
  ['zadd z 1e400 a', '-ERR value is not a valid float\r\n'],
  ['zadd z 1e-400 a', '-ERR value is not a valid float\r\n'],
  ['zadd z 0x10 hex', ':1\r\n'],
  ['zadd z \\s1 a', '-ERR value is not a valid float\r\n'],
  ['zadd z +inf pinf -inf ninf', ':2\r\n'],
  ['zadd z INCR -inf pinf', '-ERR resulting score is not a number (NaN)\r\n'],
  ['zincrby z 1 nx', '$1\r\n1\r\n', ',1\r\n'],
  ['zincrby z -0 negzero', '$2\r\n-0\r\n', ',-0\r\n'],
  ['zscore z negzero', '$1\r\n0\r\n', ',0\r\n'],
  ['zincrby z 1.1 f', '$18\r\n1.1000000000000001\r\n', ',1.1000000000000001\r\n'],
  ['zincrby z 2.2 f', '$18\r\n3.3000000000000003\r\n', ',3.3000000000000003\r\n'],
  [
    'zrange z 0 -1 withscores',
    '*20\r\n$4\r\nninf\r\n$4\r\n-inf\r\n$1\r\nb\r\n$1\r\n0\r\n$7\r\nnegzero\r\n$1\r\n0\r\n$2\r\nnx\r\n$1\r\n1\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nf\r\n$18\r\n3.3000000000000003\r\n$1\r\nd\r\n$1\r\n4\r\n$3\r\nhex\r\n$2\r\n16\r\n$1\r\na\r\n$2\r\n20\r\n$4\r\npinf\r\n$3\r\ninf\r\n',
    '*10\r\n*2\r\n$4\r\nninf\r\n,-inf\r\n*2\r\n$1\r\nb\r\n,0\r\n*2\r\n$7\r\nnegzero\r\n,0\r\n*2\r\n$2\r\nnx\r\n,1\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nf\r\n,3.3000000000000003\r\n*2\r\n$1\r\nd\r\n,4\r\n*2\r\n$3\r\nhex\r\n,16\r\n*2\r\n$1\r\na\r\n,20\r\n*2\r\n$4\r\npinf\r\n,inf\r\n',
  ],
  ['zmscore z a nope hex', '*3\r\n$2\r\n20\r\n$-1\r\n$2\r\n16\r\n', '*3\r\n,20\r\n_\r\n,16\r\n'],
  ['zmscore nokey a', '*1\r\n$-1\r\n', '*1\r\n_\r\n'],
  ['zrank z a', ':8\r\n'],
  ['zrevrank z a', ':1\r\n'],
  ['zrank z nope', '$-1\r\n', '_\r\n'],
  ['set str v', '+OK\r\n'],
  ['zadd str 1 a', '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'],
  ['zrange str 0 1', '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'],
  ['zcard str', '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'],
  ['zrem z a nope b', ':2\r\n'],
  ['zcard z', ':8\r\n'],
  ['del z', ':1\r\n'],
  ['zadd z 1 a 2 b 3 c 4 d 5 e', ':5\r\n'],
  [
    'zrange z -2 -1 withscores',
    '*4\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n',
    '*2\r\n*2\r\n$1\r\nd\r\n,4\r\n*2\r\n$1\r\ne\r\n,5\r\n',
  ],
  ['zrange z 3 1', '*0\r\n'],
  [
    'zrange z 0 1 rev withscores',
    '*4\r\n$1\r\ne\r\n$1\r\n5\r\n$1\r\nd\r\n$1\r\n4\r\n',
    '*2\r\n*2\r\n$1\r\ne\r\n,5\r\n*2\r\n$1\r\nd\r\n,4\r\n',
  ],
  ['zrevrange z 0 1', '*2\r\n$1\r\ne\r\n$1\r\nd\r\n'],
  [
    'zrange z 0 1 limit 0 1',
    '-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n',
  ],
  ['zrange z 0 1 limit 5 -1', '*2\r\n$1\r\na\r\n$1\r\nb\r\n'],
  ['zrange z 0 9223372036854775808', '-ERR value is not an integer or out of range\r\n'],
  [
    'zrange z (2 4 byscore withscores',
    '*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n',
    '*2\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nd\r\n,4\r\n',
  ],
  ['zrange z 4 (2 byscore rev', '*2\r\n$1\r\nd\r\n$1\r\nc\r\n'],
  ['zrange z -inf +inf byscore limit 1 2', '*2\r\n$1\r\nb\r\n$1\r\nc\r\n'],
  ['zrange z -inf +inf byscore limit -1 2', '*0\r\n'],
  ['zrange z -inf +inf byscore limit 1 -1', '*4\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n'],
  ['zrange z \\e 3 byscore', '*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n'],
  ['zrange z ( 3 byscore', '*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n'],
  ['zrange z 1\\x00abc 3 byscore', '*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n'],
  ['zrange z \\s 3 byscore', '-ERR min or max is not a float\r\n'],
  ['zrange z 1 2 byscore bylex', '-ERR syntax error\r\n'],
  ['zrangebyscore z 2 4 rev', '-ERR syntax error\r\n'],
  ['zrevrangebyscore z 4 2 withscores limit 1 1', '*2\r\n$1\r\nc\r\n$1\r\n3\r\n', '*1\r\n*2\r\n$1\r\nc\r\n,3\r\n'],
  ['zcount z (2 (4', ':1\r\n'],
  ['zcount z a b', '-ERR min or max is not a float\r\n'],
  ['zcount nokey 1 2', ':0\r\n'],
  ['zadd lz 0 a 0 b 0 c 0 d', ':4\r\n'],
  ['zrange lz [b (d bylex', '*2\r\n$1\r\nb\r\n$1\r\nc\r\n'],
  ['zrange lz + - bylex rev limit 1 2', '*2\r\n$1\r\nc\r\n$1\r\nb\r\n'],
  ['zrange lz - + bylex withscores', '-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n'],
  ['zrange lz b d bylex', '-ERR min or max not valid string range item\r\n'],
  ['zrange lz - +\\x00x bylex', '*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n'],
  ['zrevrangebylex lz (d [a', '*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n'],
  ['zlexcount lz (a +', ':3\r\n'],
  ['zadd mz 0 a 0 c 1 b 1 w 1 x 1 y', ':6\r\n'],
  ['zrange mz [x + bylex', '*2\r\n$1\r\nx\r\n$1\r\ny\r\n'],
  ['zrange mz + [b bylex rev', '*5\r\n$1\r\ny\r\n$1\r\nx\r\n$1\r\nw\r\n$1\r\nb\r\n$1\r\nc\r\n'],
  ['zrangestore dst z 1 3 byscore limit 1 1', ':1\r\n'],
  ['zrange dst 0 -1 withscores', '*2\r\n$1\r\nb\r\n$1\r\n2\r\n', '*1\r\n*2\r\n$1\r\nb\r\n,2\r\n'],
  ['zrangestore dst z 0 -1 withscores', '-ERR syntax error\r\n'],
  ['zrangestore dst nokey 0 -1', ':0\r\n'],
  ['exists dst', ':0\r\n'],
  ['zremrangebyrank z 0 0', ':1\r\n'],
  ['zremrangebyscore z (2 3', ':1\r\n'],
  ['zremrangebylex lz (a [c', ':2\r\n'],
  ['zrange lz 0 -1', '*2\r\n$1\r\na\r\n$1\r\nd\r\n'],
  ['zremrangebyrank nokey 0 -1', ':0\r\n'],
  ['zadd p 1 a 2 b 3 c 4 d', ':4\r\n'],
  ['zpopmin p', '*2\r\n$1\r\na\r\n$1\r\n1\r\n', '*2\r\n$1\r\na\r\n,1\r\n'],
  [
    'zpopmax p 2',
    '*4\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n',
    '*2\r\n*2\r\n$1\r\nd\r\n,4\r\n*2\r\n$1\r\nc\r\n,3\r\n',
  ],
  ['zpopmin p 0', '*0\r\n'],
  ['zpopmin p -1', '-ERR value is out of range, must be positive\r\n'],
  ['zpopmin p a', '-ERR value is out of range, must be positive\r\n'],
  ['zpopmin p 1 2', '-ERR syntax error\r\n'],
  ['zpopmin nokey', '*0\r\n'],
  [
    'zmpop 2 nokey p max count 5',
    '*2\r\n$1\r\np\r\n*1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n',
    '*2\r\n$1\r\np\r\n*1\r\n*2\r\n$1\r\nb\r\n,2\r\n',
  ],
  ['exists p', ':0\r\n'],
  ['zmpop 1 p min', '*-1\r\n', '_\r\n'],
  ['zmpop 0 p min', '-ERR numkeys should be greater than 0\r\n'],
  ['zmpop 1 p min count 0', '-ERR count should be greater than 0\r\n'],
  ['zmpop 1 p min count 1 count 1', '-ERR syntax error\r\n'],
  ['zadd p 1 a 2 b', ':2\r\n'],
  ['bzpopmax nokey p 0', '*3\r\n$1\r\np\r\n$1\r\nb\r\n$1\r\n2\r\n', '*3\r\n$1\r\np\r\n$1\r\nb\r\n,2\r\n'],
  ['bzpopmin p 1e16', '-ERR timeout is negative\r\n'],
  ['bzpopmin p abc', '-ERR timeout is not a float or out of range\r\n'],
  ['bzpopmin p -1', '-ERR timeout is negative\r\n'],
  [
    'bzmpop 0 1 p min count 10',
    '*2\r\n$1\r\np\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n',
    '*2\r\n$1\r\np\r\n*1\r\n*2\r\n$1\r\na\r\n,1\r\n',
  ],
  ['bzmpop 1 0 p min', '-ERR numkeys should be greater than 0\r\n'],
  ['bzmpop x 1 p foo', '-ERR syntax error\r\n'],
  ['bzmpop x 1 p min', '-ERR timeout is not a float or out of range\r\n'],
  ['zadd rm 1 a 2 b 3 c', ':3\r\n'],
  [
    'zrandmember rm 3 withscores',
    '*6\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n',
    '*3\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\na\r\n,1\r\n',
  ],
  ['zrandmember rm 0', '*0\r\n'],
  ['zrandmember nokey', '$-1\r\n', '_\r\n'],
  ['zrandmember nokey -5', '*0\r\n'],
  ['zrandmember rm 1 foo', '-ERR syntax error\r\n'],
  [
    'zrandmember rm -9223372036854775808',
    '-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n',
  ],
  ['zrandmember rm 9223372036854775807 withscores', '-ERR value is out of range\r\n'],
  ['zadd sc 1 a 2.5 b 1e17 c 0.1 d -3 g inf h', ':6\r\n'],
  [
    'zscan sc 0',
    '*2\r\n$1\r\n0\r\n*12\r\n$1\r\ng\r\n$2\r\n-3\r\n$1\r\nd\r\n$19\r\n0.10000000000000001\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n$1\r\nc\r\n$18\r\n100000000000000000\r\n$1\r\nh\r\n$3\r\ninf\r\n',
  ],
  [
    'zscan sc 0 match [a-c] count 1',
    '*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n$1\r\nc\r\n$18\r\n100000000000000000\r\n',
  ],
  ['zscan sc 0 count 0', '-ERR syntax error\r\n'],
  ['zscan sc 0 type zset', '-ERR syntax error\r\n'],
  [
    'zscan sc -1',
    '*2\r\n$1\r\n0\r\n*12\r\n$1\r\ng\r\n$2\r\n-3\r\n$1\r\nd\r\n$19\r\n0.10000000000000001\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n$1\r\nc\r\n$18\r\n100000000000000000\r\n$1\r\nh\r\n$3\r\ninf\r\n',
  ],
  ['zscan sc abc', '-ERR invalid cursor\r\n'],
  ['zscan nokey 0 count 0', '*2\r\n$1\r\n0\r\n*0\r\n'],
  ['zadd u 1 a 2 b 3 c', ':3\r\n'],
  ['zadd w 10 b 20 c 30 d', ':3\r\n'],
  [
    'zunion 2 u w withscores',
    '*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n$1\r\nd\r\n$2\r\n30\r\n',
    '*4\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,12\r\n*2\r\n$1\r\nc\r\n,23\r\n*2\r\n$1\r\nd\r\n,30\r\n',
  ],
  [
    'zunion 2 u w weights 2 3 aggregate min withscores',
    '*8\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n6\r\n$1\r\nd\r\n$2\r\n90\r\n',
    '*4\r\n*2\r\n$1\r\na\r\n,2\r\n*2\r\n$1\r\nb\r\n,4\r\n*2\r\n$1\r\nc\r\n,6\r\n*2\r\n$1\r\nd\r\n,90\r\n',
  ],
  [
    'zunion 1 u weights -1 withscores',
    '*6\r\n$1\r\nc\r\n$2\r\n-3\r\n$1\r\nb\r\n$2\r\n-2\r\n$1\r\na\r\n$2\r\n-1\r\n',
    '*3\r\n*2\r\n$1\r\nc\r\n,-3\r\n*2\r\n$1\r\nb\r\n,-2\r\n*2\r\n$1\r\na\r\n,-1\r\n',
  ],
  ['zunion 2 u w aggregate avg', '-ERR syntax error\r\n'],
  ['zunion 2 u w weights 1 x', '-ERR weight value is not a float\r\n'],
  ['zunion 0 u', "-ERR at least 1 input key is needed for 'zunion' command\r\n"],
  ['zunion 3 u w', '-ERR syntax error\r\n'],
  ['zunion 1 str foo', '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'],
  [
    'zinter 2 u w weights inf -inf withscores',
    '*4\r\n$1\r\nb\r\n$1\r\n0\r\n$1\r\nc\r\n$1\r\n0\r\n',
    '*2\r\n*2\r\n$1\r\nb\r\n,0\r\n*2\r\n$1\r\nc\r\n,0\r\n',
  ],
  [
    'zinter 2 u w weights inf -inf aggregate max withscores',
    '*4\r\n$1\r\nb\r\n$3\r\ninf\r\n$1\r\nc\r\n$3\r\ninf\r\n',
    '*2\r\n*2\r\n$1\r\nb\r\n,inf\r\n*2\r\n$1\r\nc\r\n,inf\r\n',
  ],
  ['zdiff 2 u w withscores', '*2\r\n$1\r\na\r\n$1\r\n1\r\n', '*1\r\n*2\r\n$1\r\na\r\n,1\r\n'],
  ['zdiff 1 u weights 1', '-ERR syntax error\r\n'],
  ['zintercard 2 u w limit 1', ':1\r\n'],
  ['zintercard 2 u w limit -1', "-ERR LIMIT can't be negative\r\n"],
  ['zintercard 0 u', "-ERR at least 1 input key is needed for 'zintercard' command\r\n"],
  ['zunionstore d 2 u w withscores', '-ERR syntax error\r\n'],
  ['zinterstore d 2 u w weights 1 0.5', ':2\r\n'],
  [
    'zrange d 0 -1 withscores',
    '*4\r\n$1\r\nb\r\n$1\r\n7\r\n$1\r\nc\r\n$2\r\n13\r\n',
    '*2\r\n*2\r\n$1\r\nb\r\n,7\r\n*2\r\n$1\r\nc\r\n,13\r\n',
  ],
  ['zinterstore d 2 u nokey', ':0\r\n'],
  ['exists d', ':0\r\n'],
  ['zadd a 1e16 x', ':1\r\n'],
  ['zadd b 1 x', ':1\r\n'],
  ['zadd c 1 x', ':1\r\n'],
  [
    'zunion 3 a b c withscores',
    '*2\r\n$1\r\nx\r\n$17\r\n10000000000000000\r\n',
    '*1\r\n*2\r\n$1\r\nx\r\n,10000000000000000\r\n',
  ],
  [
    'zunion 3 b c a withscores',
    '*2\r\n$1\r\nx\r\n$17\r\n10000000000000002\r\n',
    '*1\r\n*2\r\n$1\r\nx\r\n,10000000000000002\r\n',
  ],
  ['zadd ml -9.862176094705108e-81 b -2.488692034927759e-182 m1 0 b 2 m1 37 m10 -1.5 c 3 c', ':4\r\n'],
  ['zrevrangebylex ml [m2 [d limit 2 1', '*1\r\n$2\r\nm1\r\n'],
  ['zrange ml [c + bylex limit 2 5', '*1\r\n$3\r\nm10\r\n'],
  ['zrange ml + [b bylex rev limit 1 2', '*2\r\n$1\r\nc\r\n$2\r\nm1\r\n'],
  ['zrangebylex mz (a [x limit 1 2', '*2\r\n$1\r\nb\r\n$1\r\nw\r\n'],
  ['zrangebylex mz - + limit 6 1', '*0\r\n'],
];

test('a transcript of every sorted-set command answers byte for byte as redis-server 7.0.15', () => {
  for (const resp3 of [false, true]) {
    const node = new Node();
    for (const [line, resp2Reply, resp3Reply] of TRANSCRIPT) {
      const want = resp3 ? (resp3Reply ?? resp2Reply) : resp2Reply;
      assert.equal(node.run(line, resp3), want, `${resp3 ? 'RESP3' : 'RESP2'}: ${line}`);
    }
  }
});

test('sets are inputs of ZUNION, ZINTER, ZDIFF and ZINTERCARD (score 1), not of the other commands', () => {
  const node = new Node();
  node.run('zadd z 1 a 2 b 3 c');
  node.k.put('s', new SetValue(['a', 'x']));
  const cases: [string, string, string?][] = [
    [
      'zunion 2 z s withscores',
      '*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n',
      '*4\r\n*2\r\n$1\r\nx\r\n,1\r\n*2\r\n$1\r\na\r\n,2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n',
    ],
    [
      'zunion 2 z s weights 0 inf withscores',
      '*8\r\n$1\r\nb\r\n$1\r\n0\r\n$1\r\nc\r\n$1\r\n0\r\n$1\r\na\r\n$3\r\ninf\r\n$1\r\nx\r\n$3\r\ninf\r\n',
    ],
    ['zinter 2 z s withscores', '*2\r\n$1\r\na\r\n$1\r\n2\r\n', '*1\r\n*2\r\n$1\r\na\r\n,2\r\n'],
    // inf * 1 + -inf * 1 is NaN: Redis's sum makes it 0.
    ['zinter 2 z s weights inf -inf withscores', '*2\r\n$1\r\na\r\n$1\r\n0\r\n'],
    ['zinter 2 z s weights 0 inf aggregate min withscores', '*2\r\n$1\r\na\r\n$1\r\n0\r\n'],
    ['zdiff 2 z s', '*2\r\n$1\r\nb\r\n$1\r\nc\r\n'],
    ['zintercard 2 s z', ':1\r\n'],
    ['zdiffstore d 1 s', ':2\r\n'],
    ['zrange d 0 -1 withscores', '*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nx\r\n$1\r\n1\r\n'],
    ['zrange s 0 1', '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'],
    ['zadd s 1 a', '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'],
    ['zunionstore s 1 z', ':3\r\n'],
    ['type s', '+zset\r\n'],
  ];
  for (const [line, want] of cases) assert.equal(node.run(line), want, line);
});

test('the STORE forms replace any value and its expiry; ZADD keeps the expiry; an expired set is gone', () => {
  const node = new Node();
  node.run('zadd z 1 a');
  node.run('set t v px 5000');
  assert.equal(node.run('zunionstore t 1 z'), ':1\r\n');
  assert.equal(node.run('pttl t'), ':-1\r\n');
  node.run('set t2 v px 5000');
  assert.equal(node.run('zrangestore t2 z 0 -1'), ':1\r\n');
  assert.equal(node.run('pttl t2'), ':-1\r\n');
  node.k.setExpire('z', T0 + 1000);
  assert.equal(node.run('zadd z 2 b'), ':1\r\n');
  assert.equal(node.run('pttl z'), ':1000\r\n');
  assert.equal(node.run('zcard z', false, T0 + 999), ':2\r\n');
  // Expired: absent for reads, and a write starts a new set without the old members or expiry.
  assert.equal(node.run('zcard z', false, T0 + 1000), ':0\r\n');
  assert.equal(node.run('zrange z 0 -1', false, T0 + 1000), '*0\r\n');
  assert.equal(node.run('zadd z 3 c', false, T0 + 1000), ':1\r\n');
  assert.equal(node.run('zrange z 0 -1', false, T0 + 1000), '*1\r\n$1\r\nc\r\n');
  assert.equal(node.run('pttl z', false, T0 + 1000), ':-1\r\n');
});

test('a key changes version (WATCH) and becomes ready only when a command changes it', () => {
  const node = new Node();
  const version = (): number => node.k.versionOf('z');
  node.run('zadd z 1 a 2 b');
  assert.ok(node.k.ready.has('z'), 'a new sorted set is ready');
  node.k.ready.clear();
  let v = version();
  for (const noop of [
    'zadd z 1 a',
    'zadd z nx 5 a',
    'zadd z xx 5 nope',
    'zadd z gt 0 a',
    'zincrby z nan a',
    'zrem z nope',
    'zremrangebyscore z 10 20',
    'zremrangebyrank z 5 6',
    'zremrangebylex z [x [y',
    'zpopmin z 0',
    'zrangestore other nokey 0 -1',
  ]) {
    node.run(noop);
    assert.equal(version(), v, `${noop} changes nothing`);
  }
  assert.equal(node.k.ready.size, 0);
  for (const change of ['zadd z 3 a', 'zincrby z 1 b', 'zadd z 1 c', 'zrem z c', 'zpopmax z', 'zunionstore z 1 z']) {
    node.run(change);
    assert.ok(version() > v, `${change} changes the key`);
    v = version();
  }
  assert.ok(node.k.ready.has('z'));
  node.run('zpopmin z 5');
  assert.equal(node.run('exists z'), ':0\r\n', 'an emptied sorted set is deleted');
});

test('blocking forms at apply: pop from the first key holding a sorted set, else nil; the timeout is checked', () => {
  const node = new Node();
  const apply = (line: string): unknown => {
    node.k.beginBatch(1);
    return node.k.applyWrite(words(line), T0);
  };
  assert.equal(apply('bzpopmin a b 0'), null);
  assert.equal(apply('bzpopmax a 1.5'), null);
  assert.equal(apply('bzmpop 0 2 a b min count 3'), null);
  node.run('zadd b 1 x 2 y 3 z');
  node.run('set s v');
  assert.equal(node.run('bzpopmin a b 0'), '*3\r\n$1\r\nb\r\n$1\r\nx\r\n$1\r\n1\r\n');
  assert.equal(node.run('bzpopmax a b s 0', true), '*3\r\n$1\r\nb\r\n$1\r\nz\r\n,3\r\n');
  assert.equal(node.run('bzpopmax s b 0'), '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');
  assert.equal(node.run('bzpopmax b -1'), '-ERR timeout is negative\r\n');
  assert.equal(node.run('bzmpop 0 2 a b max count 5'), '*2\r\n$1\r\nb\r\n*1\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n');
  assert.equal(node.run('exists b'), ':0\r\n');
});

test('replicas applying the same writes hold the same sorted sets, byte for byte', () => {
  const rnd = prng(5);
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const m = `m${Math.floor(rnd() * 800)}`;
    const s = String(Math.floor(rnd() * 40) - 20);
    const r = rnd();
    if (r < 0.6) lines.push(`zadd k${i % 3} ${s} ${m}`);
    else if (r < 0.7) lines.push(`zincrby k${i % 3} 0.5 ${m}`);
    else if (r < 0.8) lines.push(`zrem k${i % 3} ${m}`);
    else if (r < 0.85) lines.push(`zpopmin k${i % 3} 3`);
    else if (r < 0.9) lines.push(`zunionstore k${i % 3} 2 k0 k1 weights 1 -1`);
    else if (r < 0.95) lines.push(`zremrangebyscore k${i % 3} ${s} (${Number(s) + 2}`);
    else lines.push(`zrangestore k${i % 3} k2 0 ${Math.floor(rnd() * 100)}`);
  }
  const a = new Node();
  const b = new Node();
  for (const line of lines) assert.equal(a.run(line), b.run(line), line);
  assert.deepEqual(Buffer.from(a.k.serialize()), Buffer.from(b.k.serialize()));
  const restored = Keyspace.restore(a.k.serialize());
  for (const k of ['k0', 'k1', 'k2']) {
    const q = words(`zrange ${k} 0 -1 withscores`);
    assert.deepEqual(restored.read(q, T0), a.k.read(q, T0), k);
  }
});

test('ranges over a large set agree with a sorted model: by rank, score and (equal scores) member', () => {
  const node = new Node();
  const rnd = prng(6);
  const model = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    const m = `m${String(Math.floor(rnd() * 5000)).padStart(4, '0')}`;
    const s = Math.floor(rnd() * 100);
    node.run(`zadd big ${s} ${m}`);
    node.run(`zadd lex 0 ${m}`);
    model.set(m, s);
  }
  const sorted = [...model].sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1));
  const members = [...model.keys()].sort();
  const bulks = (ms: string[]): string => `*${ms.length}\r\n` + ms.map((m) => `$${m.length}\r\n${m}\r\n`).join('');
  for (let q = 0; q < 40; q++) {
    const lo = Math.floor(rnd() * 100);
    const hi = lo + Math.floor(rnd() * 20);
    const byScore = sorted.filter(([, s]) => s > lo && s <= hi).map(([m]) => m);
    assert.equal(node.run(`zrange big (${lo} ${hi} byscore`), bulks(byScore));
    assert.equal(node.run(`zcount big (${lo} ${hi}`), `:${byScore.length}\r\n`);
    assert.equal(node.run(`zrange big ${hi} (${lo} byscore rev limit 2 5`), bulks(byScore.reverse().slice(2, 7)));
    const start = Math.floor(rnd() * sorted.length);
    assert.equal(node.run(`zrange big ${start} ${start + 9}`), bulks(sorted.slice(start, start + 10).map(([m]) => m)));
    const [m, s] = sorted[start]!;
    assert.equal(node.run(`zrank big ${m}`), `:${start}\r\n`);
    assert.equal(node.run(`zrevrank big ${m}`), `:${sorted.length - 1 - start}\r\n`);
    assert.equal(node.run(`zscore big ${m}`), `$${String(s).length}\r\n${s}\r\n`);
    const a = `m${String(Math.floor(rnd() * 5000)).padStart(4, '0')}`;
    const z = `m${String(Math.floor(rnd() * 5000)).padStart(4, '0')}`;
    const byLex = members.filter((x) => x >= a && x < z);
    assert.equal(node.run(`zrange lex [${a} (${z} bylex`), bulks(byLex));
    assert.equal(node.run(`zlexcount lex [${a} (${z}`), `:${byLex.length}\r\n`);
  }
});

test('ZRANDMEMBER: distinct members for a count below the size, repeats for a negative count', () => {
  const node = new Node();
  node.run('zadd r 1 a 2 b 3 c 4 d 5 e 6 f 7 g 8 h 9 i 10 j');
  const parse = (reply: string): string[] => reply.split('\r\n').filter((l, i) => i > 0 && i % 2 === 0);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    for (const count of [2, 5, 9]) {
      const got = parse(node.run(`zrandmember r ${count}`));
      assert.equal(got.length, count);
      assert.equal(new Set(got).size, count, 'distinct');
      assert.deepEqual(got, [...got].sort(), "in the set's order");
      for (const m of got) seen.add(m);
    }
    const drawn = parse(node.run('zrandmember r -30'));
    assert.equal(drawn.length, 30);
    for (const m of drawn) assert.match(m, /^[a-j]$/);
  }
  assert.equal(seen.size, 10, 'every member drawn at some point');
  assert.match(node.run('zrandmember r'), /^\$1\r\n[a-j]\r\n$/);
  const pairs = node.run('zrandmember r -3 withscores', true);
  assert.match(pairs, /^\*3\r\n(\*2\r\n\$1\r\n[a-j]\r\n,(\d+)\r\n){3}$/);
  assert.equal(node.run('zrandmember r 10'), node.run('zrevrange r 0 -1'), 'the whole set from the top');
  assert.equal(node.run('zrandmember r -4194305'), '-ERR value is out of range\r\n');
});

test('ZSCAN of a large set walks it by cursor: every member once at least, COUNT and MATCH honoured', () => {
  const node = new Node();
  for (let i = 0; i < 1000; i += 100) {
    const pairs: string[] = [];
    for (let j = i; j < i + 100; j++) pairs.push(`${j / 4}`, `m${j}`);
    node.run(`zadd big ${pairs.join(' ')}`);
  }
  const seen = new Map<string, string>();
  let cursor = '0';
  let calls = 0;
  do {
    const reply = node.run(`zscan big ${cursor} count 50`);
    const lines = reply.split('\r\n');
    cursor = lines[2]!;
    const items = lines.slice(4).filter((_, i) => i % 2 === 1);
    for (let i = 0; i + 1 < items.length; i += 2) seen.set(items[i]!, items[i + 1]!);
    assert.ok(items.length / 2 < 400, 'a call answers about COUNT members, not the whole set');
    calls++;
  } while (cursor !== '0');
  assert.equal(seen.size, 1000);
  assert.ok(calls > 5);
  assert.equal(seen.get('m2'), '0.5');
  assert.equal(seen.get('m999'), '249.75');
  // MATCH filters what a call returns.
  cursor = '0';
  const matched = new Set<string>();
  do {
    const lines = node.run(`zscan big ${cursor} match m1?? count 1000`).split('\r\n');
    cursor = lines[2]!;
    lines
      .slice(4)
      .filter((_, i) => i % 4 === 1)
      .forEach((m) => matched.add(m));
  } while (cursor !== '0');
  assert.equal(matched.size, 100);
  // A cursor beyond 2^32 (Redis's are 64-bit) ends the walk.
  assert.equal(node.run('zscan big 4294967296'), '*2\r\n$1\r\n0\r\n*0\r\n');
});

test('a sorted set holds any bytes as members', () => {
  const node = new Node();
  assert.equal(node.run('zadd b 1 \\x00\\xff 2 \\e 3 a\\sb'), ':3\r\n');
  assert.equal(
    node.run('zrange b 0 -1 withscores', true),
    '*3\r\n*2\r\n$2\r\n\x00\xff\r\n,1\r\n*2\r\n$0\r\n\r\n,2\r\n*2\r\n$3\r\na b\r\n,3\r\n',
  );
  assert.equal(node.run('zscore b \\x00\\xff'), '$1\r\n1\r\n');
  assert.ok(node.k.values.get('b') instanceof ZSetValue);
});
