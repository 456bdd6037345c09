// End to end against the real redis-server 7.0: fixed scripts of list commands and their edge cases
// (errors and their order, negative and 64-bit indexes, nil and nil-array replies, emptied lists
// deleted, LPOS's options, LMOVE on one list, LMPOP's argument checks, the blocking commands when they
// need not block, and inside MULTI) go to redis-server and to a 3-node little-raft cluster (split
// over the leader and a follower), in RESP2 and in RESP3; every reply must be the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { compareStreams } from '../support/redis-diff.js';
import { RespClient, argv, formatValue } from '../support/resp-client.js';
import { startRedisServer } from '../support/redis-server.js';

/** Commands, one per line: space-separated words, or a JSON array for arguments with spaces or bytes. */
function script(text: string): Buffer[][] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => argv(line.startsWith('[') ? (JSON.parse(line) as string[]) : line));
}

const SCRIPTS: Record<string, string> = {
  'pushes and pops': `
    set s x
    lpush s a
    lpushx s a
    rpushx s a
    lpushx nokey a
    rpushx nokey a
    rpush l a b c a b c
    lpushx l z
    rpushx l y z
    lrange l 0 -1
    ["rpush", "bin", "", "\\u0000\\u00ff\\r\\n", "a b"]
    lrange bin 0 -1
    type l
    lpop l 1 2
    lpop l -1
    lpop l abc
    lpop l 1.5
    lpop nokey -1
    lpop nokey abc
    lpop s 0
    lpop s
    lpop l 0
    lpop l
    rpop l
    rpop l 2
    lpop l 9223372036854775807
    exists l
    lpop nokey 2
    lpop nokey 0
    rpop nokey
    rpop nokey 3`,
  'indexes: LLEN, LINDEX, LSET': `
    set s x
    rpush l a b c
    llen l
    llen nokey
    llen s
    lindex nokey abc
    lindex l abc
    lindex l -1
    lindex l 0
    lindex l -3
    lindex l 3
    lindex l -4
    lindex l -100
    lindex l 9223372036854775807
    lindex l 9223372036854775808
    lindex s 0
    lset nokey 0 x
    lset nokey abc x
    lset l abc x
    lset l 100 x
    lset l -3 x
    lset l -4 x
    lset l 2 y
    lset s 0 x
    lrange l 0 -1`,
  'ranges: LRANGE, LTRIM': `
    set s x
    rpush l a b c d e f g h i j
    lrange nokey abc 1
    lrange nokey 0 1
    lrange s 0 1
    lrange s a 1
    lrange l -100 100
    lrange l 2 1
    lrange l 1 2
    lrange l -2 -1
    lrange l 8 100
    lrange l 10 100
    lrange l -9223372036854775808 9223372036854775807
    ltrim nokey a 1
    ltrim nokey 0 1
    ltrim s 0 1
    ltrim l 1 -2
    lrange l 0 -1
    ltrim l 2 3
    lrange l 0 -1
    ltrim l -1 100
    lrange l 0 -1
    ltrim l 5 1
    exists l`,
  'LREM and LINSERT': `
    set s x
    rpush l a b a c a
    lrem l abc a
    lrem nokey abc a
    lrem s 0 a
    lrem nokey 0 a
    lrem l -2 a
    lrange l 0 -1
    lrem l 0 zz
    rpush l a b
    lrem l 1 b
    lrange l 0 -1
    lrem l 0 a
    lrem l -9223372036854775808 c
    lrem l 100 b
    exists l
    rpush l a b c b
    linsert l middle b x
    linsert nokey middle b x
    linsert nokey before b x
    linsert s before b x
    linsert l BEFORE zz x
    linsert l AFTER b x
    linsert l before a y
    linsert l after c end
    linsert l before x pre
    lrange l 0 -1`,
  LPOS: `
    set s x
    lpos nokey a
    lpos nokey a count 0
    lpos nokey a rank 0
    lpos nokey a rank abc
    lpos nokey a rank -9223372036854775808
    lpos nokey a count -1
    lpos nokey a maxlen -1
    lpos nokey a maxlen abc
    lpos nokey a count abc
    lpos nokey a foo
    lpos nokey a count
    lpos s a
    lpos s a rank 0
    rpush p a b c a b c a
    lpos p a
    lpos p a rank 2
    lpos p a rank -1
    lpos p a rank -2 count 0
    lpos p a count 0
    lpos p a count 2 rank 2
    lpos p a maxlen 4 count 0
    lpos p a rank -1 maxlen 2 count 0
    lpos p a rank 5
    lpos p a rank 5 count 0
    lpos p zz
    lpos p zz count 0
    lpos p a rank 1 rank 2
    lpos p a count 1 count 0
    lpos p a rank -9223372036854775808
    lpos p a rank -9223372036854775808 count 0
    lpos p a rank -9223372036854775808 count 2
    lpos p a rank -9223372036854775807 count 2
    lpos p a rank 9223372036854775807 count 2
    lpos p a count 9223372036854775807
    lpos p a count 9223372036854775808`,
  'LMOVE and RPOPLPUSH': `
    set s x
    rpush l a b c
    lmove l d up left
    lmove l d left up
    lmove nokey d up left
    lmove nokey d left left
    lmove s d left left
    lmove l s left left
    lmove nokey s left left
    lrange l 0 -1
    lmove l l left right
    lrange l 0 -1
    lmove l d right left
    lrange d 0 -1
    rpoplpush l d
    rpoplpush s d
    rpoplpush l s
    rpoplpush nokey d
    lrange d 0 -1
    lmove l d LEFT RIGHT
    exists l
    rpush one x
    lmove one one left left
    rpoplpush one one
    lrange one 0 -1
    lmove one other right right
    exists one
    lrange other 0 -1`,
  LMPOP: `
    set s x
    rpush l a
    lmpop 0 l left
    lmpop abc l left
    lmpop -1 l left
    lmpop 2 l left
    lmpop 1 l middle
    lmpop 1 nokey left
    lmpop 1 nokey left count 0
    lmpop 1 nokey left count abc
    lmpop 1 nokey left count -1
    lmpop 1 nokey left count 1 count 2
    lmpop 1 nokey left foo
    lmpop 1 nokey left count
    lmpop 2 nokey s left
    lmpop 2 s nokey left
    lmpop 9223372036854775807 a left
    lmpop 9223372036854775808 a left
    rpush m 1 2 3 4 5
    lmpop 2 nokey m LEFT COUNT 2
    lmpop 1 m right
    lmpop 2 m l Right count 100
    lmpop 2 m l left count 100
    exists m l`,
  'blocking commands that need not block, their errors, and inside MULTI': `
    set s x
    blpop nokey abc
    blpop nokey -1
    blpop nokey -0.0011
    blpop nokey inf
    blpop nokey nan
    blpop nokey 1e400
    blpop nokey 1e5000
    blpop nokey 1.2e4932
    blpop nokey 1e-5000
    blpop nokey 9223372036854775807
    blpop nokey 0x1p16384
    ["blpop", "nokey", " 1"]
    ["blpop", "nokey", ""]
    blpop s 0
    blpop nokey s 0
    blpop s abc
    rpush l a b
    blpop l s 0
    brpop nokey l 0
    exists l
    blmpop abc 1 nokey left
    blmpop 0 0 nokey left
    blmpop abc 1 nokey middle
    blmpop -1 1 nokey left
    blmpop -1 1 nokey left count 0
    blmpop 0 2 nokey s left
    rpush l a b c
    blmpop 0 2 nokey l right count 2
    blmpop 0 1 l left count 5
    blmove l d up left abc
    blmove l d left left abc
    blmove l d left left -1
    brpoplpush l d abc
    brpoplpush nokey d -1
    rpush l a b
    blmove l d left right 0
    brpoplpush l d 0
    lrange d 0 -1
    blmove d s left right 0
    brpoplpush d s 0
    multi
    blpop nokey 0
    brpop nokey 0
    blmove nokey d left left 0
    brpoplpush nokey d 0
    blmpop 0 1 nokey left
    rpush nokey now
    blpop nokey 0
    exec
    exists nokey`,
};

test('list commands answer as redis-server 7.0 does, byte for byte', async (t) => {
  const [redis, cluster] = await Promise.all([startRedisServer(t), KvTestCluster.start(t)]);
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n.id !== leader)!;
  const ports = [cluster.node(leader).redisPort, follower.redisPort];
  const flush = async (port: number): Promise<void> => {
    const client = await RespClient.connect(port);
    assert.equal(formatValue((await client.command('FLUSHDB')).value), '+OK');
    client.close();
  };

  for (const [name, text] of Object.entries(SCRIPTS)) {
    await t.test(
      name,
      withLogs(cluster, async () => {
        for (const protocol of [2, 3] as const) {
          await Promise.all([flush(redis.port), flush(ports[0]!)]);
          const differences = await compareStreams(redis.port, ports, script(text), { protocol });
          assert.deepEqual(differences, [], `RESP${protocol}: ${JSON.stringify(differences, null, 2)}`);
        }
      }),
    );
  }
});
