// `little-raft serve`: one node of the KV service, until SIGINT/SIGTERM.

import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';

import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

import { createHttpServer } from '../ops/http.js';
import { KvMetrics } from '../ops/metrics.js';
import { KvNode } from '../node/node.js';
import { MemoryLimit } from '../node/memory-limit.js';
import { bytesToHuman } from '../resp/info-memory.js';
import { heapNeeded } from './heap-limit.js';
import { limitHeapGrowth } from '../node/heap-growth.js';
import { RespServer } from '../resp/server.js';
import { parseHostPort, type HostPort, type TcpTlsOptions } from 'little-raft/tcp';
import { StartupError } from '../errors.js';
import { discoverCluster, requestJoin } from './join.js';
import { readSecretFile } from './secret-file.js';
import { lockDataDir, type DataDirLock } from '../node/data-dir-lock.js';
import { handleBackup } from '../ops/backup-endpoint.js';
import type { AdminAuthenticate } from '../ops/admin-api.js';
import { AdminAuthenticator } from '../ops/admin-auth.js';
import { loadServeTls, type ServeTls, type ServeTlsFlags } from '../tls/serve-tls.js';
import { createRedisTlsServer } from '../tls/redis-listener.js';
import { loadAccess, statusGuard, withBasicAdmin, type AccessFlags } from '../auth/node-access.js';

/**
 * How admin requests are checked: signed with the cluster secret. A request with a client
 * certificate signed by --http-tls-ca is let through before this (ops/http.ts, src/tls/); without
 * a secret, a node with --http-tls-ca or a cluster of mutual TLS refuses every other one; an
 * --insecure one (neither) takes them unsigned, as it takes peers.
 */
function adminAuthentication(
  secret: Uint8Array | undefined,
  tls: boolean,
  clientCertificates: boolean,
): AdminAuthenticate | null {
  if (secret !== undefined) {
    const auth = new AdminAuthenticator(secret);
    return (method, path, body, header) => auth.verify(method, path, body, header);
  }
  if (clientCertificates) return () => "present a client certificate signed by the CA of the node's --http-tls-ca";
  if (tls) {
    return () =>
      'this cluster authenticates peers with TLS only: give every node --secret-file, or --http-tls-ca for client certificates, to use the admin API';
  }
  return null;
}

/** Whether a node has run on `dir` before (it holds the node's identity file). */
async function startedBefore(dir: string): Promise<boolean> {
  try {
    await access(join(dir, 'node.json'));
    return true;
  } catch {
    return false;
  }
}

export interface ServeOptions extends ServeTlsFlags, AccessFlags {
  id: number;
  /** Every member of a brand-new cluster (absent with --join). */
  peers?: Record<number, string>;
  /** HTTP address of a member of the running cluster to join. */
  join?: string;
  /** This node's Raft address (with --join; else its entry in --peers). */
  raft?: string;
  data: string;
  redis: string;
  http: string;
  cluster: string;
  secretFile?: string;
  tlsKey?: string;
  tlsCert?: string;
  tlsCa?: string;
  insecure?: boolean;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  requestTimeout: number;
  snapshotEntries: number;
  snapshotBytes: number;
  heartbeat: number;
  electionTimeout: [number, number];
  /** Added to this node's clock (Date.now()) wherever it means data time: testing clock skew. */
  clockOffsetMs: number;
  holdLoadWhile?: string;
  /** --no-protected-mode gives false. */
  protectedMode?: boolean;
  // Client limits (resp/client-limits.ts).
  maxclients: number;
  clientIdleTimeout: number;
  clientOutputLimit: number;
  pubsubOutputLimit: number;
  clientsMemoryLimit: number;
  /** Bytes; 0: no limit (node/memory-limit.ts). */
  maxmemory: number;
}

/** Says what V8 heap a node with --maxmemory runs with: too small, it dies before it refuses writes. */
function logHeapLimit(log: Logger, maxmemory: number): void {
  const limit = getHeapStatistics().heap_size_limit;
  const text = `--maxmemory ${bytesToHuman(maxmemory)}, V8 heap limit ${bytesToHuman(limit)}`;
  if (limit >= heapNeeded(maxmemory)) log.info(text);
  else log.warn(`${text}: too small, the process may run out of heap before writes are refused`);
}

/** A failure the user can act on: printed as one line, exit code 1. */
function createLogger(level: string, format: 'json' | 'pretty', base: Record<string, unknown>): Logger {
  if (format === 'pretty') {
    const stream = pretty({
      colorize: process.stdout.isTTY,
      sync: true,
      ignore: 'pid,hostname',
      translateTime: 'HH:MM:ss.l',
    });
    return pino({ level, base }, stream);
  }
  return pino({ level, base });
}

async function readPem(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new StartupError(`cannot read ${flag} ${path}: ${(e as Error).message}`);
  }
}

/** Starts the node; resolves with a stop function once it serves. */
export async function serve(
  o: ServeOptions,
): Promise<{ stop: () => Promise<void>; node: KvNode; removed: Promise<void> }> {
  const log = createLogger(o.logLevel, o.logFormat, { node: o.id });
  limitHeapGrowth();
  if (o.maxmemory > 0) logHeapLimit(log, o.maxmemory);
  if (o.peers !== undefined && o.join !== undefined) throw new StartupError('give --peers or --join, not both');
  if (o.peers === undefined && o.join === undefined) {
    throw new StartupError('give --peers (a new cluster) or --join (a running one)');
  }
  if (o.peers !== undefined && o.peers[o.id] === undefined) {
    throw new StartupError(`--id ${o.id} is not in --peers (${Object.keys(o.peers).join(', ')})`);
  }
  if (o.join !== undefined && o.raft === undefined)
    throw new StartupError("--join needs --raft (this node's Raft address)");
  if (o.peers !== undefined && o.raft !== undefined && o.raft !== o.peers[o.id]) {
    throw new StartupError(`--raft ${o.raft} differs from node ${o.id}'s address in --peers (${o.peers[o.id]})`);
  }
  const tlsFlags = [o.tlsKey, o.tlsCert, o.tlsCa].filter((f) => f !== undefined).length;
  if (tlsFlags !== 0 && tlsFlags !== 3) throw new StartupError('--tls-key, --tls-cert and --tls-ca go together');
  if (!o.secretFile && tlsFlags === 0 && !o.insecure) {
    throw new StartupError(
      'peers must authenticate: give --secret-file (or --tls-key/--tls-cert/--tls-ca, or --insecure)',
    );
  }
  const secret = o.secretFile ? await readSecretFile(o.secretFile) : undefined;
  const tls =
    tlsFlags === 3
      ? {
          key: await readPem('--tls-key', o.tlsKey!),
          cert: await readPem('--tls-cert', o.tlsCert!),
          ca: await readPem('--tls-ca', o.tlsCa!),
        }
      : undefined;
  const clientTls = await loadServeTls(o);
  const redis = parseHostPort(o.redis);
  const http = parseHostPort(o.http);
  // The data directory first: a second serve on it is told so, whatever else it shares.
  const lock = await lockDataDir(o.data);
  try {
    return await serveLocked(o, log, lock, secret, tls, clientTls, redis, http);
  } catch (e) {
    await lock.release();
    throw e;
  }
}

async function serveLocked(
  o: ServeOptions,
  log: Logger,
  lock: DataDirLock,
  secret: Uint8Array | undefined,
  tls: TcpTlsOptions | undefined,
  clientTls: ServeTls,
  redis: HostPort,
  http: HostPort,
): Promise<{ stop: () => Promise<void>; node: KvNode; removed: Promise<void> }> {
  const raft = o.raft ?? o.peers![o.id]!;
  // Without a secret, admin requests go unsigned: an --insecure cluster's admin API is open, and a
  // client certificate (--http-tls-cert over HTTPS) authenticates them.
  const access = await loadAccess(o);
  const adminSecret = secret ?? null;
  const join = clientTls.join;
  let peers = o.peers ?? {};
  let clusterId: string | null | undefined;
  if (join !== null) {
    try {
      const info = await discoverCluster(join.address, adminSecret, o.requestTimeout, join.tls);
      if (info.cluster !== o.cluster) {
        throw new StartupError(
          `--join ${o.join} is a node of cluster '${info.cluster}', not '${o.cluster}' (--cluster)`,
        );
      }
      peers = Object.fromEntries([...info.members].filter(([id]) => id !== o.id));
      clusterId = info.clusterId;
    } catch (e) {
      // A member restarting while that node is down still starts: its storage knows the members.
      if (!(await startedBefore(o.data))) throw e;
      log.warn(`${(e as Error).message}; starting from what this data directory knows`);
    }
  }
  let onRemoved = (): void => undefined;
  const removed = new Promise<void>((resolve) => (onRemoved = resolve));
  const node = new KvNode({
    id: o.id,
    peers,
    raft,
    ...(clusterId !== undefined && { clusterId }),
    redisAddress: o.redis,
    httpAddress: o.http,
    ...(o.join !== undefined && { join: true }),
    onRemoved: () => onRemoved(),
    lock,
    dataDir: o.data,
    cluster: o.cluster,
    ...(secret !== undefined && { secret }),
    ...(tls !== undefined && { tls }),
    ...(o.insecure && { insecure: true }),
    logger: log,
    requestTimeout: o.requestTimeout,
    snapshotEntries: o.snapshotEntries,
    snapshotBytes: o.snapshotBytes,
    heartbeatTimeout: o.heartbeat,
    electionTimeoutRange: o.electionTimeout,
    ...(o.clockOffsetMs !== 0 && { clock: () => Date.now() + o.clockOffsetMs }),
    ...(o.holdLoadWhile !== undefined && { holdLoadWhile: o.holdLoadWhile }),
  });
  const metrics = new KvMetrics(node);
  node.snapshotTimings = (phase, seconds) => metrics.snapshotPhase(phase, seconds);
  const resp = new RespServer({
    node,
    metrics,
    redisAddress: o.redis,
    logger: log,
    access,
    protectedMode: o.protectedMode !== false,
    limits: {
      maxClients: o.maxclients,
      idleTimeoutSeconds: o.clientIdleTimeout,
      outputBytes: o.clientOutputLimit,
      pubsubOutputBytes: o.pubsubOutputLimit,
      totalBytes: o.clientsMemoryLimit,
    },
    memoryLimit: new MemoryLimit(o.maxmemory),
  });
  const httpServer = createHttpServer(
    node,
    metrics,
    () => ({ redis: o.redis, http: o.http, connections: resp.connectionCount }),
    {
      authenticate: withBasicAdmin(
        adminAuthentication(secret, tls !== undefined, clientTls.http?.ca !== undefined),
        access,
      ),
      backup: (res) => handleBackup(node, res),
    },
    clientTls.http,
    statusGuard(o, secret, access, tls !== undefined || clientTls.http?.ca !== undefined),
    secret ?? null,
  );
  // Bind the client ports first: a port in use fails before the node touches its data.
  const redisTls = clientTls.redis && createRedisTlsServer(clientTls.redis, resp.accept, log);
  const tlsBeside = clientTls.redisTlsAddress;
  await listenOrExplain('Redis', o.redis, () =>
    resp.listen(redis.host, redis.port, tlsBeside === null ? (redisTls ?? undefined) : undefined),
  );
  if (tlsBeside !== null && redisTls !== null) {
    await listenOrExplain('Redis TLS', o.redisTls!, () => resp.listen(tlsBeside.host, tlsBeside.port, redisTls)).catch(
      async (e) => {
        await resp.close();
        throw e;
      },
    );
  }
  await listenOrExplain('HTTP', o.http, () => listenHttp(httpServer, http.host, http.port)).catch(async (e) => {
    await resp.close();
    throw e;
  });
  try {
    await node.start();
  } catch (e) {
    await resp.close();
    httpServer.close();
    await node.stop().catch(() => undefined);
    const text = (e as Error).message;
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new StartupError(`the Raft port ${raft} is in use`);
    }
    throw new StartupError(text);
  }
  if (o.join !== undefined) await node.loaded();
  if (join !== null && !node.isMember()) {
    log.info(`asking ${o.join} to add node ${o.id} (raft ${raft}) to the cluster`);
    try {
      const self = { id: o.id, raft, redis: o.redis, http: o.http };
      await requestJoin(join.address, adminSecret, self, 6 * o.requestTimeout, join.tls);
    } catch (e) {
      await resp.close();
      httpServer.close();
      await node.stop();
      throw e;
    }
    log.info(`node ${o.id} joined as a learner; it becomes a voter once it has caught up`);
  }
  const redisText =
    redisTls === null ? o.redis : tlsBeside === null ? `${o.redis} (TLS)` : `${o.redis} and TLS on ${o.redisTls}`;
  const httpText = clientTls.http === null ? o.http : `${o.http} (HTTPS)`;
  log.info(`serving Redis on ${redisText}, HTTP on ${httpText} (/status, /metrics, /health)`);
  const stop = async (): Promise<void> => {
    log.info('stopping');
    await resp.close();
    httpServer.closeAllConnections();
    httpServer.close();
    await node.stop();
    log.info('stopped');
  };
  return { stop, node, removed };
}

async function listenOrExplain<R>(what: string, address: string, listen: () => Promise<R>): Promise<R> {
  try {
    return await listen();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartupError(`the ${what} address ${address} is in use`);
    if (code === 'EACCES') throw new StartupError(`no permission to listen on ${what} address ${address}`);
    if (code === 'EADDRNOTAVAIL') throw new StartupError(`${what} address ${address} is not an address of this host`);
    throw new StartupError(`cannot listen on ${what} address ${address}: ${(e as Error).message}`);
  }
}

function listenHttp(server: import('node:net').Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
