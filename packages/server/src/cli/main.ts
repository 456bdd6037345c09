#!/usr/bin/env node
// The `little-raft` command: `serve` (one node of a cluster) and `local` (a cluster on this machine).
// Flags may also come from environment variables (LITTLE_RAFT_<FLAG>) or, for serve, a JSON config
// file (--config); flags win over the environment, which wins over the file.

import { readFileSync } from 'node:fs';

import { Command, Option } from 'commander';

import { addMemberCommands } from './member.js';
import { electionRange, hostPort, integer, LOG_LEVELS, nodeId, peerList, port, positive } from './parse.js';
import type { ServeOptions } from './serve.js';
import type { BackupOptions } from './backup.js';
import type { RestoreOptions } from './restore.js';
import { StartupError } from '../errors.js';
import { byteSize, nonNegative } from './byte-size.js';
import { relaunchForHeap } from './heap-limit.js';
import { stopWithSupervisor } from './supervised.js';
import { DEFAULT_CLIENT_LIMITS } from '../resp/client-limits.js';
import { addClientTlsOptions, httpTargetArg } from '../tls/cli-options.js';
// serve.js and local.js (the node, storage, transport, pino, prom-client) are imported only by the
// command that runs: --help and flag errors answer at once.

/** This package's version, from its package.json (two levels up from src/cli/ and dist/cli/). */
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('little-raft')
  .description('A replicated key-value service that speaks the Redis protocol, built on little-raft.')
  .version(version, '-V, --version', 'print the version of little-raft-server and exit')
  .showHelpAfterError('(run with --help for usage)');

const logOptions = (cmd: Command, level: string, format: 'json' | 'pretty'): Command =>
  cmd
    .addOption(
      new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default(level).env('LITTLE_RAFT_LOG_LEVEL'),
    )
    .addOption(
      new Option('--log-format <format>', 'json lines, or pretty for people')
        .choices(['json', 'pretty'])
        .default(format)
        .env('LITTLE_RAFT_LOG_FORMAT'),
    );

const serveCommand = program
  .command('serve')
  .description('run one node of a cluster (DiskStorage, authenticated TcpCluster)')
  .addOption(
    new Option('--config <file>', 'JSON file with any of the options below (camelCase keys)').env('LITTLE_RAFT_CONFIG'),
  )
  .addOption(new Option('--id <n>', 'this node id (1, 2, ...)').argParser(nodeId).env('LITTLE_RAFT_ID'))
  .addOption(
    new Option(
      '--peers <list>',
      'every member as id=host:port (Raft address), this node included: 1=hostA:7001,2=hostB:7001,3=hostC:7001',
    )
      .argParser(peerList)
      .env('LITTLE_RAFT_PEERS'),
  )
  .addOption(
    new Option(
      '--join <host:port>',
      'HTTP address of a member of a running cluster to join (instead of --peers); https://host:port over HTTPS',
    )
      .argParser(httpTargetArg)
      .env('LITTLE_RAFT_JOIN'),
  )
  .addOption(
    new Option('--raft <host:port>', "this node's Raft address (with --join)")
      .argParser(hostPort)
      .env('LITTLE_RAFT_RAFT'),
  )
  .addOption(new Option('--data <dir>', 'data directory of this node').env('LITTLE_RAFT_DATA'))
  .addOption(
    new Option('--redis <host:port>', 'Redis-protocol address')
      .argParser(hostPort)
      .default('127.0.0.1:6379')
      .env('LITTLE_RAFT_REDIS'),
  )
  .addOption(
    new Option('--http <host:port>', 'HTTP address for /status, /metrics, /health')
      .argParser(hostPort)
      .default('127.0.0.1:8080')
      .env('LITTLE_RAFT_HTTP'),
  )
  .addOption(
    new Option('--secret-file <file>', 'file holding the shared cluster secret (>= 16 bytes)').env(
      'LITTLE_RAFT_SECRET_FILE',
    ),
  )
  .addOption(new Option('--tls-key <file>', "this node's private key (PEM), for mutual TLS").env('LITTLE_RAFT_TLS_KEY'))
  .addOption(new Option('--tls-cert <file>', "this node's certificate (PEM)").env('LITTLE_RAFT_TLS_CERT'))
  .addOption(new Option('--tls-ca <file>', 'CA certificate that signed every node (PEM)').env('LITTLE_RAFT_TLS_CA'))
  .addOption(new Option('--insecure', 'no peer authentication (anyone who reaches the Raft port is a peer)'))
  // TLS for clients (docs/server.md, "TLS"; src/tls/).
  .addOption(
    new Option('--redis-tls-cert <file>', 'certificate (PEM) of the Redis port: it serves TLS').env(
      'LITTLE_RAFT_REDIS_TLS_CERT',
    ),
  )
  .addOption(
    new Option('--redis-tls-key <file>', 'private key (PEM) of --redis-tls-cert').env('LITTLE_RAFT_REDIS_TLS_KEY'),
  )
  .addOption(
    new Option('--redis-tls-ca <file>', 'CA (PEM) that Redis clients must present a certificate of').env(
      'LITTLE_RAFT_REDIS_TLS_CA',
    ),
  )
  .addOption(
    new Option('--redis-tls <host:port>', "serve TLS here and keep --redis plain (as Redis's tls-port)")
      .argParser(hostPort)
      .env('LITTLE_RAFT_REDIS_TLS'),
  )
  .addOption(
    new Option('--http-tls-cert <file>', 'certificate (PEM) of the HTTP port: it serves HTTPS').env(
      'LITTLE_RAFT_HTTP_TLS_CERT',
    ),
  )
  .addOption(
    new Option('--http-tls-key <file>', 'private key (PEM) of --http-tls-cert').env('LITTLE_RAFT_HTTP_TLS_KEY'),
  )
  .addOption(
    new Option('--http-tls-ca <file>', 'CA (PEM) whose client certificates authenticate admin requests').env(
      'LITTLE_RAFT_HTTP_TLS_CA',
    ),
  )
  // Clients' authentication (docs/server.md, "Authentication").
  .addOption(
    new Option('--requirepass-file <file>', "file holding the default user's password (Redis's requirepass)").env(
      'LITTLE_RAFT_REQUIREPASS_FILE',
    ),
  )
  .addOption(
    new Option('--users-file <file>', 'ACL users, one per line: user <name> on #<sha256 of password> +@read ...').env(
      'LITTLE_RAFT_USERS_FILE',
    ),
  )
  .addOption(
    new Option('--no-protected-mode', 'serve clients of other hosts even with no password or users configured'),
  )
  .addOption(new Option('--open-status', 'serve /status without credentials (what `local` does)'))
  .addOption(
    new Option('--cluster <name>', 'cluster name; a data directory of another cluster is refused')
      .default('little-raft')
      .env('LITTLE_RAFT_CLUSTER'),
  )
  .addOption(
    new Option('--request-timeout <ms>', 'how long a request waits for a leader and its answer')
      .argParser(positive)
      .default(5000)
      .env('LITTLE_RAFT_REQUEST_TIMEOUT'),
  )
  .addOption(
    new Option('--snapshot-entries <n>', 'log entries between snapshots')
      .argParser(positive)
      .default(10000)
      .env('LITTLE_RAFT_SNAPSHOT_ENTRIES'),
  )
  .addOption(
    new Option(
      '--snapshot-bytes <bytes>',
      'also snapshot once the log since the last one holds this many bytes (64mb, 1gb, ...)',
    )
      .argParser(byteSize)
      .default(64 * 1024 * 1024, '64mb')
      .env('LITTLE_RAFT_SNAPSHOT_BYTES'),
  )
  .addOption(
    new Option('--heartbeat <ms>', 'Raft heartbeat interval')
      .argParser(positive)
      .default(100)
      .env('LITTLE_RAFT_HEARTBEAT'),
  )
  .addOption(
    new Option('--election-timeout <min-max>', 'Raft election timeout range in ms')
      .argParser(electionRange)
      .default([1000, 2000], '1000-2000')
      .env('LITTLE_RAFT_ELECTION_TIMEOUT'),
  )
  // Client limits (docs/server.md, "Client limits"): Redis's defaults where it has them.
  .addOption(
    new Option('--maxclients <n>', 'most Redis-port clients at once; more are refused, as by Redis')
      .argParser(positive)
      .default(DEFAULT_CLIENT_LIMITS.maxClients)
      .env('LITTLE_RAFT_MAXCLIENTS'),
  )
  .addOption(
    new Option('--client-idle-timeout <seconds>', 'close a client idle this long (not blocked or subscribed); 0: never')
      .argParser(nonNegative)
      .default(DEFAULT_CLIENT_LIMITS.idleTimeoutSeconds)
      .env('LITTLE_RAFT_CLIENT_IDLE_TIMEOUT'),
  )
  .addOption(
    new Option('--client-output-limit <bytes>', 'disconnect a client leaving more answers unread; 0: no limit')
      .argParser(byteSize)
      .default(DEFAULT_CLIENT_LIMITS.outputBytes, '256mb')
      .env('LITTLE_RAFT_CLIENT_OUTPUT_LIMIT'),
  )
  .addOption(
    new Option('--pubsub-output-limit <bytes>', 'the same for a subscribed client; 0: no limit')
      .argParser(byteSize)
      .default(DEFAULT_CLIENT_LIMITS.pubsubOutputBytes, '32mb')
      .env('LITTLE_RAFT_PUBSUB_OUTPUT_LIMIT'),
  )
  .addOption(
    new Option(
      '--clients-memory-limit <bytes>',
      'most memory all clients may hold (unread answers, partial requests); beyond, the biggest is disconnected; 0: no limit',
    )
      .argParser(byteSize)
      .default(DEFAULT_CLIENT_LIMITS.totalBytes, '512mb')
      .env('LITTLE_RAFT_CLIENTS_MEMORY_LIMIT'),
  )
  // Memory (docs/server.md, "Memory").
  .addOption(
    new Option(
      '--maxmemory <bytes>',
      "refuse writes that grow the data while the node's used memory is over this (Redis's noeviction); 0: no limit",
    )
      .argParser(byteSize)
      .default(0)
      .env('LITTLE_RAFT_MAXMEMORY'),
  )
  .addOption(
    // A testing aid (docs/server.md), so not in --help: skews the clock this node stamps writes and
    // judges expiry with, to show that expiry follows the cluster's time, not a node's.
    new Option('--clock-offset-ms <ms>', "add this to the node's clock (testing clock skew)")
      .argParser(integer)
      .default(0)
      .env('LITTLE_RAFT_CLOCK_OFFSET_MS')
      .hideHelp(),
  )
  .addOption(
    // A testing aid, so not in --help: snapshot loads wait while the file exists, so that a test
    // sees what clients get during a load (-LOADING) however fast the machine loads.
    new Option('--hold-load-while <file>', 'snapshot loads wait while this file exists (testing)').hideHelp(),
  );
logOptions(serveCommand, 'info', 'json').action(async (flags: Record<string, unknown>, cmd: Command) => {
  const options = withConfigFile(flags, cmd);
  for (const required of ['id', 'data']) {
    if (options[required] === undefined) cmd.error(`error: required option '--${required}' not given`);
  }
  if (options['peers'] === undefined && options['join'] === undefined) {
    cmd.error("error: give '--peers' (a new cluster) or '--join' (a running one)");
  }
  stopWithSupervisor();
  // A --maxmemory the default heap cannot hold: this process becomes a relay to one that can.
  if (relaunchForHeap(options['maxmemory'] as number)) return;
  const { serve } = await import('./serve.js');
  const { stop, removed } = await serve(options as unknown as ServeOptions);
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(`little-raft: stop failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A member the cluster removed has nothing left to do: it says so (node.ts) and exits.
  void removed.then(onSignal);
});

const localCommand = program
  .command('local')
  .description('run a cluster of N nodes on this machine (what `npm start` runs)')
  .addOption(new Option('--nodes <n>', 'number of nodes').argParser(positive).default(3))
  .addOption(new Option('--data <dir>', 'data directory; node i uses <dir>/<i>').default('./data'))
  .addOption(new Option('--host <host>', 'address every port binds to').default('127.0.0.1'))
  .addOption(new Option('--redis-port <port>', 'Redis port of node 1 (node i: +i-1)').argParser(port).default(6379))
  .addOption(new Option('--raft-port <port>', 'Raft port of node 1').argParser(port).default(7001))
  .addOption(new Option('--http-port <port>', 'HTTP port of node 1').argParser(port).default(8080))
  .addOption(
    new Option('--dashboard-port <port>', 'port of the dashboard and its controls (on --host)')
      .argParser(port)
      .default(8079),
  )
  .addOption(
    new Option('--restart-dead <ms>', 'start a node that died on its own (kill -9, a crash) again after this pause')
      .argParser(positive)
      .default(3000),
  )
  .addOption(new Option('--no-restart-dead', 'leave a dead node down until its restart button is pressed'));
logOptions(localCommand, 'warn', 'pretty').action(async (flags: Record<string, unknown>) => {
  const { runLocal } = await import('./local.js');
  process.exitCode = await runLocal(flags as never);
});

addMemberCommands(program);

const backupCommand = program
  .command('backup')
  .description("save a consistent copy of the cluster's key space (at one applied index) to a file")
  .addOption(
    new Option('--node <host:port>', "any member's HTTP address (https://host:port: over HTTPS)")
      .argParser(httpTargetArg)
      .makeOptionMandatory(),
  )
  .addOption(
    new Option('--secret-file <file>', 'file holding the shared cluster secret').env('LITTLE_RAFT_SECRET_FILE'),
  )
  .addOption(
    new Option('--out <file>', 'the backup file to write (replaced only by a verified backup)').makeOptionMandatory(),
  )
  .addOption(
    new Option('--timeout <ms>', 'how long to wait for the node, or for its next bytes')
      .argParser(positive)
      .default(60000),
  );
addClientTlsOptions(backupCommand).action(async (flags: BackupOptions) => {
  const { runBackup } = await import('./backup.js');
  await runBackup(flags);
});

program
  .command('restore')
  .description('make the data directory of one member of a NEW cluster from a backup (restore every member from it)')
  .addOption(new Option('--from <file>', 'the backup file').makeOptionMandatory())
  .addOption(new Option('--id <n>', "this member's id in the new cluster").argParser(nodeId).makeOptionMandatory())
  .addOption(
    new Option('--peers <list>', "every member of the new cluster as id=host:port (Raft address), as serve's --peers")
      .argParser(peerList)
      .makeOptionMandatory(),
  )
  .addOption(new Option('--data <dir>', 'the data directory to create (absent or empty)').makeOptionMandatory())
  .action(async (flags: RestoreOptions) => {
    const { runRestore } = await import('./restore.js');
    await runRestore(flags);
  });

/** Fills options the user did not give (flag or environment) from the --config JSON file. */
function withConfigFile(flags: Record<string, unknown>, cmd: Command): Record<string, unknown> {
  const file = flags['config'];
  if (typeof file !== 'string') return flags;
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    cmd.error(`error: cannot read --config ${file}: ${(e as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    cmd.error(`error: --config ${file} must hold a JSON object`);
  }
  const merged = { ...flags };
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    const option = cmd.options.find((o) => o.attributeName() === key);
    if (option === undefined || key === 'config') cmd.error(`error: --config ${file}: unknown option '${key}'`);
    const source = cmd.getOptionValueSource(key);
    if (source === 'cli' || source === 'env') continue;
    const text =
      typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : null;
    if (text === null) cmd.error(`error: --config ${file}: '${key}' must be a string, number or boolean`);
    try {
      merged[key] = option.isBoolean()
        ? value === true || value === 'true'
        : option.parseArg
          ? option.parseArg(text, undefined)
          : text;
    } catch (e) {
      cmd.error(`error: --config ${file}: '${key}': ${(e as Error).message}`);
    }
  }
  return merged;
}

program.parseAsync().catch((e: unknown) => {
  // A problem the user can fix (a DataDirError is one too): in one line.
  if (e instanceof StartupError) {
    console.error(`little-raft: ${e.message}`);
  } else {
    console.error(e);
  }
  process.exit(1);
});
