// End to end against the real redis-server 7.0: the same sorted-set commands (every command, its
// options, edge cases and error texts) sent on raw sockets to a 3-node cluster and to a redis-server,
// in RESP2 through the leader and in RESP3 through a follower; every reply must be byte-identical.
// (The differential test, support/command-gen/zsets.ts, sends random ones.) Left out: blocking on
// empty keys (the node's waiting side is tested with the list commands).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { startRedisServer } from '../support/redis-server.js';
import { RespClient } from '../support/resp-client.js';
import { words } from '../support/words.js';

/** One command per line (see words()). */
const CASES = String.raw`
zadd z 1 a 2 b 3 c
zadd z nx 10 a 4 d
zadd z xx 10 a 5 e
zadd z xx ch 11 a 5 e
zadd z ch 11 a 12 b 13 zz
zadd z gt 1 a
zadd z gt ch 20 a
zadd z lt ch 30 a
zadd z lt ch 1 a
zadd z gt lt 1 a
zadd z nx gt 1 a
zadd z nx lt 1 a
zadd z nx xx 1 a
zadd z incr 1 a 2 b
zadd z incr nx 1 a
zadd z incr xx 1 nope
zadd z incr gt -5 a
zadd z incr lt -5 a
zadd z incr 2.5 a
zadd z
zadd z 1
zadd z nx
zadd z 1 a 2
zadd z abc a
zadd z nan a
zadd z 1e400 a
zadd z -1e400 a
zadd z 1e-400 a
zadd z 0x10 hex
zadd z \s1 a
zadd z 1\s a
zadd z +inf pinf -inf ninf
zadd z +Infinity pinf2
zadd z .5 half 5. five 1e3 thou
zadd z 1 a 1 a 1 a
zadd z nx nx xx 1 a
zadd z CH GT 100 a
zadd z INCR inf a
zadd z INCR -inf a
zincrby z -inf pinf
zincrby z nan a
zincrby z 1 nx
zincrby z nx 1
zincrby z ch ch
zincrby z 0 newmember
zincrby z -0 negzero
zscore z negzero
zincrby z 1.1 f
zincrby z 2.2 f
zrange z 0 -1 withscores
zcard z
zcard nokey
zscore z a
zscore z nope
zscore nokey a
zmscore z a nope b
zmscore nokey a b
zrank z a
zrevrank z a
zrank z nope
zrevrank nokey a
set str v
zadd str 1 a
zincrby str 1 a
zcard str
zscore str a
zmscore str a
zrank str a
zrem str a
zrange str 0 1
zadd str xx 1 a
zrem z a nope b
zrem z nope
zrem nokey a
zadd small 1 x 2 y
zrem small x y z
exists small
del z
zadd z 1 a 2 b 3 c 4 d 5 e
zrange z 0 -1
zrange z 1 2 withscores
zrange z -2 -1
zrange z -100 100
zrange z 3 1
zrange z 5 10
zrange z 0 0 rev
zrange z 0 1 rev withscores
zrange z -1 -1 rev
zrevrange z 0 1 withscores
zrevrange z 0 1 rev
zrange z a b
zrange z 0 1 foo
zrange z 0 1 limit 0 1
zrange z 0 1 limit 0 -1
zrange z 0 1 limit 5 -1
zrevrange z 0 1 limit 0 1
zrange z 0 1 withscores withscores
zrange z 0 9223372036854775807
zrange z -9223372036854775808 1
zrange z 0 9223372036854775808
zrange nokey 0 -1
zrange nokey a b
zrange z 2 4 byscore
zrange z (2 4 byscore withscores
zrange z 2 (4 byscore
zrange z (2 (2 byscore
zrange z 2 2 byscore
zrange z 4 2 byscore
zrange z -inf +inf byscore
zrange z +inf -inf byscore rev
zrange z 4 2 byscore rev withscores
zrange z (4 (2 byscore rev
zrange z -inf +inf byscore limit 1 2
zrange z -inf +inf byscore limit 1 -1
zrange z -inf +inf byscore limit -1 2
zrange z -inf +inf byscore limit 10 2
zrange z -inf +inf byscore limit 0 0
zrange z +inf -inf byscore rev limit 1 2 withscores
zrange z -inf +inf byscore limit 1
zrange z -inf +inf byscore limit a 1
zrange z -inf +inf byscore limit 1 a
zrange z a 1 byscore
zrange z 1 nan byscore
zrange z ( 3 byscore
zrange z \e 3 byscore
zrange z \s1 3 byscore
zrange z (\s1 3 byscore
zrange z 1\x00abc 3 byscore
zrange z 0x2 3 byscore
zrange z 1e400 inf byscore
zrange z byscore 1 2
zrange z 1 2 byscore bylex
zrange z 1 2 byscore byscore
zrange z 1 2 rev rev
zrangebyscore z 2 4
zrangebyscore z 2 4 withscores limit 1 1
zrangebyscore z 2 4 rev
zrangebyscore z 2 4 bylex
zrangebyscore z a 4
zrevrangebyscore z 4 2 withscores
zrevrangebyscore z 2 4
zrevrangebyscore z +inf -inf limit 0 2
zrangebyscore nokey 1 2
zrangebyscore str 1 2
zrangebyscore str a 2
zrangebyscore z 1 2 limit
zrangebyscore z 1 2 withscores limit 0 1 withscores
zcount z 2 4
zcount z (2 (4
zcount z -inf +inf
zcount z 5 1
zcount z a b
zcount nokey 1 2
zcount str 1 2
zcount z \e \e
zcount z ( 3
zcount z \s 3
del lz
zadd lz 0 a 0 b 0 c 0 d 0 e 0 f
zrange lz - + bylex
zrange lz [b [d bylex
zrange lz (b (d bylex
zrange lz [b (b bylex
zrange lz [b [b bylex
zrange lz [d [b bylex
zrange lz + - bylex rev
zrange lz [d [b bylex rev
zrange lz (d - bylex rev
zrange lz - + bylex limit 1 2
zrange lz + - bylex rev limit 1 2
zrange lz - + bylex limit -1 2
zrange lz - + bylex limit 1 -5
zrange lz - + bylex withscores
zrange lz b d bylex
zrange lz \e + bylex
zrange lz -a + bylex
zrange lz - +\x00x bylex
zrange lz ( + bylex
zrange lz - [ bylex
zrange lz [ [ bylex
zrange lz + + bylex
zrange lz - - bylex
zrange lz + - bylex
zrangebylex lz [b [e
zrangebylex lz - + limit 2 2
zrangebylex lz - + withscores
zrevrangebylex lz [e [b
zrevrangebylex lz + - limit 1 1
zrevrangebylex lz [b [e
zlexcount lz - +
zlexcount lz [b (e
zlexcount lz (e [b
zlexcount lz x y
zlexcount nokey - +
zlexcount str - +
del mz
zadd mz 0 a 0 c 1 b 1 w 1 x 1 y
zrange mz [x + bylex
zrange mz [b + bylex
zrange mz - [b bylex
zrange mz (a + bylex
zrange mz + [b bylex rev
zrange mz [y [b bylex rev
zlexcount mz [b +
zlexcount mz - [c
zrangebylex mz - + limit 1 -1
zremrangebylex mz [b [x
zrange mz 0 -1 withscores
zrangestore dst z 0 -1
zrange dst 0 -1 withscores
zrangestore dst z 1 3 byscore limit 1 1
zrange dst 0 -1 withscores
zrangestore dst z 3 1 byscore rev
zrange dst 0 -1 withscores
zrangestore dst lz [b [c bylex
zrange dst 0 -1
zrangestore dst z 0 -1 withscores
zrangestore dst nokey 0 -1
exists dst
set dst2 v
zrangestore dst2 z 0 0
type dst2
zrangestore dst2 z 10 20
exists dst2
zrangestore dst str 0 -1
zrangestore dst z 0 1 limit 0 1
zrangestore dst z a b
del r
zadd r 1 a 2 b 3 c 4 d 5 e 6 f
zremrangebyrank r 0 0
zremrangebyrank r -1 -1
zremrangebyrank r 5 10
zremrangebyrank r 2 1
zremrangebyrank r a 1
zrange r 0 -1
zremrangebyscore r (2 3
zremrangebyscore r a 3
zremrangebyscore r 10 20
zrange r 0 -1 withscores
zremrangebyrank r 0 -1
exists r
zremrangebyrank nokey 0 -1
zremrangebyscore str 1 2
zremrangebylex str - +
zremrangebylex lz (a [c
zremrangebylex lz a c
zrange lz 0 -1
zremrangebylex lz - +
exists lz
del p
zadd p 1 a 2 b 3 c 4 d 5 e
zpopmin p
zpopmax p
zpopmin p 2
zpopmax p 0
zpopmin p -1
zpopmin p a
zpopmin p 1 2
zpopmax p 10
exists p
zpopmin nokey
zpopmin nokey 3
zpopmin str
zadd p 1 a 2 b 3 c
zmpop 1 p min
zmpop 1 p max count 5
zmpop 1 p min
zmpop 2 nokey p min
zadd p 1 a 2 b 3 c
zmpop 2 nokey p max count 2
zmpop 2 str p min
zmpop 2 p str min
zmpop 0 p min
zmpop -1 p min
zmpop abc p min
zmpop 1 p middle
zmpop 1 p min count 0
zmpop 1 p min count -2
zmpop 1 p min count x
zmpop 1 p min count 1 count 1
zmpop 1 p min count
zmpop 1 p min foo
zmpop 3 p min
zmpop 1 p
zadd p 1 a 2 b 3 c
bzpopmin p 0
zadd p 1 a 2 b 3 c
bzpopmax nokey p 0
bzpopmin str 1
bzpopmin nokey str 1
bzpopmin p abc
bzpopmin p -1
bzpopmin p inf
bzpopmin p 1e16
bzpopmin p 1e400
bzpopmin p 1e5000
bzpopmin p \s1
bzpopmin p -0.0001
exists p
zadd p 1 a 2 b 3 c
bzmpop 0 1 p min
bzmpop 0 1 p max count 10
bzmpop x 1 p min
bzmpop -1 1 p min
bzmpop 1 0 p min
bzmpop 1 1 p foo
bzmpop x 0 p min
bzmpop 1 1 str min
del rm
zadd rm 1 a 2 b 3 c
zrandmember rm 3
zrandmember rm 10 withscores
zrandmember rm 0
zrandmember rm 0 withscores
zrandmember nokey
zrandmember nokey 5
zrandmember nokey -5 withscores
zrandmember str
zrandmember str 1
zrandmember rm a
zrandmember rm 1 foo
zrandmember rm 1 withscores foo
zrandmember rm -9223372036854775808
zrandmember rm 9223372036854775807 withscores
zrandmember rm -4611686018427387904 withscores
zrandmember rm 4611686018427387903
del one
zadd one 7 only
zrandmember one
zrandmember one -3 withscores
zrandmember one 1 withscores
zadd sc 1 a 2.5 b 1e17 c 0.1 d -0 e 1e20 f -3 g inf h
zscan sc 0
zscan sc 123
zscan sc 0 match ?
zscan sc 0 match [a-c] count 1
zscan sc 0 count 0
zscan sc 0 count a
zscan sc 0 count
zscan sc 0 type zset
zscan sc abc
zscan sc -1
zscan sc 18446744073709551616
zscan nokey 0
zscan nokey 0 count 0
zscan str 0
zscan str 0 foo
del z
zadd z 1 a 2 b 3 c
zadd w 10 b 20 c 30 d
zunion 2 z w
zunion 2 z w withscores
zunion 2 z w weights 2 3 withscores
zunion 2 z w weights 2 withscores
zunion 2 z w aggregate min withscores
zunion 2 z w aggregate max withscores
zunion 2 z w aggregate avg
zunion 2 z w aggregate
zunion 2 z w weights 1 x
zunion 1 z weights -1 withscores
zunion 2 z nokey withscores
zunion 0 z
zunion -1 z
zunion abc z
zunion 3 z w
zunion 1 str
zunion 2 z str
zunion 1 str foo
zunion 1 z withscores withscores
zunion 1 z foo
zinter 2 z w withscores
zinter 2 z w weights 2 3 aggregate max withscores
zinter 2 z z withscores
zinter 2 z nokey
zinter 1 z
zdiff 2 z w withscores
zdiff 2 nokey z
zdiff 1 z weights 1
zdiff 1 z aggregate sum
zdiff 2 z z
zintercard 2 z w
zintercard 2 z w limit 1
zintercard 2 z w limit 0
zintercard 2 z w limit -1
zintercard 2 z w limit x
zintercard 2 z w withscores
zintercard 2 z w weights 1 1
zintercard 0 z
zintercard 3 z w
zintercard 1 nokey
zunionstore d 2 z w
zrange d 0 -1 withscores
zunionstore d 2 z w withscores
zinterstore d 2 z w weights 1 0.5
zrange d 0 -1 withscores
zinterstore d 2 z nokey
exists d
set d v
zdiffstore d 2 z w
type d
zrange d 0 -1 withscores
zrange d 0 -1 withscores
zunionstore d 0 z
zunionstore d 1 str
zinterstore d 2 z w aggregate foo
zunionstore z 2 z w
zrange z 0 -1 withscores
zadd a 1e16 x
zadd b 1 x
zadd c 1 x
zunion 3 a b c withscores
zunion 3 b c a withscores
zinter 3 a b c withscores
zinter 3 b c a withscores
zunion 2 a b weights 0.1 0.2 withscores
zadd str nx xx 1 a
zadd str 1
zadd str abc a
zrange str a b
zrange str 0 1 limit 0 1
zrangestore dst str 0 -1 withscores
zcount str a b
zunion 1 str weights a
zintercard 1 str limit -1
zmpop 1 str middle
set ttlkey v ex 100
zunionstore ttlkey 1 z
ttl ttlkey
zadd tz 1 a
set tmp v ex 100
zrangestore tmp tz 0 -1
ttl tmp
zadd exp 1 a
zadd big 1 a
zadd mz2 0 a 0 c 1 b 1 w 1 x 1 y
zadd ml -9.862176094705108e-81 b -2.488692034927759e-182 m1 0 b 2 m1 37 m10 -1.5 c 3 c
zrevrangebylex ml [m2 [d limit 2 1
zrange ml [c + bylex limit 2 5
zrange ml + [b bylex rev limit 1 2
zrangebylex mz2 (a [x limit 1 2
zrangebylex mz2 - + limit 6 1
zadd sz 1 a 2 b 3 c
sadd ss a x
sadd si 3 1 2
zunion 3 sz ss si withscores
zunion 2 sz ss weights 0 inf withscores
zinter 2 sz ss withscores
zinter 2 sz ss weights inf -inf withscores
zinter 2 sz ss weights 0 inf aggregate min withscores
zdiff 2 sz ss
zdiff 1 si withscores
zintercard 2 ss sz
zdiffstore sd 1 ss
zrange sd 0 -1 withscores
zrange ss 0 1
zadd ss 1 a
zunionstore ss 1 sz
type ss
`
  .trim()
  .split('\n');

/** The replies' bytes as latin1 text. */
async function send(client: RespClient, lines: readonly string[]): Promise<string[]> {
  const replies = await client.call(lines.map(words));
  return replies.map((r) => r.bytes.toString('latin1'));
}

test('sorted sets answer byte for byte as redis-server 7.0.15, in RESP2 and RESP3', async (t) => {
  const [redis, cluster] = await Promise.all([startRedisServer(t), KvTestCluster.start(t)]);
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n.id !== leader)!.id;
  for (const [protocol, id] of [
    ['2', leader],
    ['3', follower],
  ] as const) {
    await t.test(
      `RESP${protocol} through node ${id} (${id === leader ? 'leader' : 'follower'})`,
      withLogs(cluster, async () => {
        const ours = await RespClient.connect(cluster.node(id).redisPort);
        const theirs = await RespClient.connect(redis.port);
        t.after(() => {
          ours.close();
          theirs.close();
        });
        for (const c of [ours, theirs]) assert.deepEqual(await send(c, ['flushdb']), ['+OK\r\n']);
        if (protocol === '3') for (const c of [ours, theirs]) await send(c, ['hello 3']);
        // In slices, so that the slices' writes and reads interleave across the log as a client's do.
        for (let i = 0; i < CASES.length; i += 40) {
          const slice = CASES.slice(i, i + 40);
          const [got, want] = await Promise.all([send(ours, slice), send(theirs, slice)]);
          for (let j = 0; j < slice.length; j++) {
            assert.equal(got[j], want[j], `RESP${protocol} ${JSON.stringify(slice[j])}`);
          }
        }
      }),
    );
  }
});
