// Differential test: random command streams (support/command-gen) go pipelined to the real
// redis-server 7 and to a 3-node little-raft cluster, and every reply must be the same bytes, but
// where Redis leaves the answer open or little-raft differs on purpose (support/redis-diff.ts).
// Each run starts from an empty database on both sides, in RESP2 or RESP3, with its stream cut into
// one to three parts on nodes the run picks (leader or followers), and ends reading back the whole
// key space. A failure shows fast-check's shrunk stream and the first difference.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { commandStream, stateProbe, type Command } from '../support/command-gen/index.js';
import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { compareStreams, type Difference } from '../support/redis-diff.js';
import { RespClient, argv, formatValue } from '../support/resp-client.js';
import { startRedisServer } from '../support/redis-server.js';

/** Runs of fast-check (DIFF_RUNS overrides): about 20 s on two cores, with the cluster and redis-server on them. */
const RUNS = Number(process.env['DIFF_RUNS'] ?? 150);

/** DIFF_SEED and DIFF_PATH (from a failure's report) replay that failure's runs. */
const replay =
  process.env['DIFF_SEED'] === undefined
    ? {}
    : { seed: Number(process.env['DIFF_SEED']), path: process.env['DIFF_PATH'], endOnFailure: true };

/** FLUSHDB on the server at `port`. */
async function flush(port: number): Promise<void> {
  const client = await RespClient.connect(port);
  try {
    const reply = await client.command('FLUSHDB');
    assert.equal(formatValue(reply.value), '+OK', `FLUSHDB on port ${port}`);
  } finally {
    client.close();
  }
}

/**
 * The stream, each differing reply under its command, then the commands of the read-back that
 * differ (at most 80 lines of each).
 */
function describe(stream: readonly Command[], probe: readonly Command[], differences: readonly Difference[]): string {
  const line = (c: Command, i: number): string => {
    const text = `  ${String(i).padStart(3)}  ${String(c[fc.toStringMethod]())}`;
    const d = differences.find((x) => x.index === i);
    return d === undefined ? text : `${text}\n         redis-server: ${d.expected}\n         little-raft:  ${d.actual}`;
  };
  const cap = (lines: string[]): string =>
    (lines.length > 80 ? [...lines.slice(0, 80), `  ... ${lines.length - 80} more`] : lines).join('\n');
  const readBack = probe
    .map((c, i) => ({ c, i: stream.length + i }))
    .filter(({ i }) => differences.some((d) => d.index === i))
    .map(({ c, i }) => line(c, i));
  return (
    `the stream:\n${cap(stream.map(line))}\n` +
    `the key space read back afterwards: ${readBack.length === 0 ? 'the same' : `\n${cap(readBack)}`}`
  );
}

test('random command streams: a little-raft cluster answers as redis-server does', { timeout: 240_000 }, async (t) => {
  const [redis, cluster] = await Promise.all([startRedisServer(t), KvTestCluster.start(t)]);
  const ports = cluster.nodes.map((n) => n.redisPort);
  const version = /v=(\S+)/.exec(redis.version)?.[1] ?? redis.version;

  await t.test('the comparison sees a difference (one redis-server as both sides, two INCRs)', async () => {
    await flush(redis.port);
    const differences = await compareStreams(redis.port, [redis.port], [argv('incr diff:self')]);
    assert.equal(differences.length, 1, 'the same INCR twice on one server answers 1 and 2');
    assert.deepEqual(
      [differences[0]!.expected, differences[0]!.actual].sort(),
      [':1', ':2'],
      JSON.stringify(differences),
    );
    assert.equal(differences[0]!.deliberate, null);
  });

  await t.test(
    `${RUNS} random streams, RESP2 and RESP3, on the leader and the followers`,
    withLogs(cluster, async () => {
      const nodesUsed = new Set<number>();
      const protocolsUsed = new Set<number>();
      const excused = new Map<string, number>();
      let commandsSent = 0;
      const run = fc.record({
        stream: commandStream(),
        /** Node index (into cluster.nodes) of each part of the stream. */
        route: fc.array(fc.nat({ max: ports.length - 1 }), { minLength: 1, maxLength: 3 }),
        protocol: fc.constantFrom(2 as const, 3 as const),
      });
      await fc.assert(
        fc.asyncProperty(run, async ({ stream, route, protocol }) => {
          await Promise.all([flush(redis.port), flush(ports[route[0]!]!)]);
          const lrPorts = route.map((i) => ports[i]!);
          const commands = stream.map((c) => c.argv);
          const probe = stateProbe();
          const since = performance.now();
          const differences = await compareStreams(redis.port, lrPorts, commands, { protocol });
          // The read-back on a connection of its own; clock readings count from the stream's start.
          const readBack = probe.map((c) => c.argv);
          const afterwards = await compareStreams(redis.port, [lrPorts.at(-1)!], readBack, {
            protocol,
            since,
            earlier: commands,
          });
          const all = [...differences, ...afterwards.map((d) => ({ ...d, index: d.index + stream.length }))];
          for (const { deliberate: name } of all) if (name !== null) excused.set(name, (excused.get(name) ?? 0) + 1);
          for (const i of route) nodesUsed.add(cluster.nodes[i]!.id);
          protocolsUsed.add(protocol);
          commandsSent += commands.length + probe.length;
          const real = all.filter((d) => d.deliberate === null);
          if (real.length === 0) return;
          const first = real[0]!;
          const leader = await cluster.waitForLeader();
          throw new Error(
            `little-raft answered #${first.index} ${first.command} differently from redis-server ${version} ` +
              `(RESP${protocol}; stream parts on nodes ${route.map((i) => cluster.nodes[i]!.id).join(', ')}, ` +
              `leader ${leader}; ${real.length} difference(s) in all)\n` +
              `  redis-server: ${first.expected}\n  little-raft:  ${first.actual}\n` +
              describe(stream, probe, real),
          );
        }),
        { numRuns: RUNS, includeErrorInReport: true, ...replay },
      );
      // Every node took parts of streams, in both protocols (a replay runs only the failure's).
      if (process.env['DIFF_PATH'] === undefined) {
        assert.deepEqual([...nodesUsed].sort(), cluster.nodes.map((n) => n.id).sort(), 'streams ran on every node');
        assert.deepEqual([...protocolsUsed].sort(), [2, 3], 'streams ran in RESP2 and RESP3');
      }
      const counts = [...excused].map(([name, n]) => `${name}: ${n}`).join(', ');
      t.diagnostic(`${commandsSent} commands compared; differences excused: ${counts || 'none'}`);
    }),
  );
});
