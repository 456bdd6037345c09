// The Redis-protocol listener of a KV node: accepts client connections (connection.ts) and answers
// the connection-level commands itself; key-space commands go to the node (node.ts).

import * as net from 'node:net';

import type { Logger } from 'pino';

import {
  checkArity,
  clientHelpReply,
  commandReply,
  configReply,
  functionReply,
  lookupCommand,
  lookupSubcommand,
  selectReply,
  unknownCommandError,
  validateWrite,
} from '../commands/commands.js';
import type { Classified, CommandRunner } from './connection.js';
import { LINGER_MS, RespConnection, type ConnectionLimits } from './connection.js';
import { ClientMemory } from './client-memory.js';
import { DEFAULT_CLIENT_LIMITS, MAX_CLIENTS_REPLY, type ClientLimits } from './client-limits.js';
import type { KvMetrics } from '../ops/metrics.js';
import { errorReplyOf, LOADING_REPLY, type KvNode } from '../node/node.js';
import { refusedWhileLoading } from '../commands/loading.js';
import { ErrorReply, OK, SimpleString, type Reply } from './reply.js';
import { ERR_SYNTAX, wrongArity } from './error-replies.js';
import { isKeyword } from '../commands/args.js';
import { queueCommand, transactionCommand, type TransactionHost } from '../commands/transaction.js';
import { roleReply, waitCommand } from './replication-commands.js';
import {
  isSubscribed,
  pubsubReply,
  refusedWhenSubscribed,
  subscribedPing,
  subscriptionCommand,
  type SubscribeHost,
} from '../commands/subscribe.js';
import { BLOCKING } from '../commands/blocking.js';
import { AccessControl } from '../auth/access-control.js';
import { aclCommand, authCommand, authenticate, HELLO_NOAUTH, refusal } from '../auth/auth-commands.js';
import { protectedModeRefusal } from '../auth/protected-mode.js';
import { OOM, refusedForMemory } from '../commands/denyoom.js';
import { MemoryLimit } from '../node/memory-limit.js';
import { memoryInfo } from './info-memory.js';

const VERSION = '7.0.0-little-raft';

/** CLIENT REPLY's argument: what it changes, or Redis's syntax error. */
function replyMode(arg: Buffer): 'reply-on' | 'reply-off' | 'reply-skip' | ErrorReply {
  if (isKeyword(arg, 'on')) return 'reply-on';
  if (isKeyword(arg, 'off')) return 'reply-off';
  if (isKeyword(arg, 'skip')) return 'reply-skip';
  return ERR_SYNTAX;
}
const RESET = new SimpleString('RESET');
const WRITE: Classified = { kind: 'write' };
const BLOCKING_WRITE: Classified = { kind: 'write', blocking: true };

export interface RespServerOptions {
  node: KvNode;
  metrics: KvMetrics | null;
  /** Shown by INFO server. */
  redisAddress: string;
  /** Where a client disconnected for breaking a limit is reported (warn), or for idling (debug). */
  logger?: Pick<Logger, 'warn' | 'debug'>;
  /** Users and passwords (src/auth/); default: none, every client runs as Redis's default user. */
  access?: AccessControl;
  /** Refuse clients from other hosts while no password or users are configured (default: true). */
  protectedMode?: boolean;
  /** What clients may do (client-limits.ts); DEFAULT_CLIENT_LIMITS for what is not given. */
  limits?: Partial<ClientLimits>;
  /** --maxmemory (node/memory-limit.ts); default: no limit. */
  memoryLimit?: MemoryLimit;
}

export class RespServer implements CommandRunner {
  readonly server: net.Server;
  private readonly node: KvNode;
  private readonly metrics: KvMetrics | null;
  // Label children bound once: the hot path must not hash label sets per command.
  private readonly counted: Record<'write' | 'read' | 'connection', { inc(): void }> | null;
  private readonly timed: Record<'write' | 'read', { observe(v: number): void }> | null;
  private readonly redisAddress: string;
  private readonly logger: Pick<Logger, 'warn' | 'debug'> | null;
  private readonly connections = new Set<RespConnection>();
  /** The listeners listen() started, which close() stops. */
  private readonly listening: net.Server[] = [];
  private readonly limits: ClientLimits;
  private readonly connectionLimits: ConnectionLimits;
  private readonly memory: ClientMemory;
  private readonly memoryLimit: MemoryLimit;
  private readonly outOfMemory = (): boolean => this.memoryLimit.exceeded();
  private readonly idleTimer: NodeJS.Timeout | null;
  private rejectedConnections = 0;
  private nextClientId = 1;
  private readonly startedAt = Date.now();
  private totalConnections = 0;
  /** What EXEC runs a transaction with. */
  private readonly transactions: TransactionHost<RespConnection> = {
    submitTransaction: (commands, watches) => this.node.submitWrites(commands, true, watches),
    readBarrier: () => this.node.readBarrier(),
    readAll: (commands, watches) => this.node.readAll(commands, watches),
    watchOf: (key) => this.node.watchOf(key),
    local: (conn, name, argv) => this.local(conn, name, argv, true),
    ran: (kind) => this.counted?.[kind === 'local' ? 'connection' : kind].inc(),
    outOfMemory: () => this.outOfMemory(),
  };
  private readonly subscribeHost: SubscribeHost;
  private readonly access: AccessControl;
  private readonly protectedMode: boolean;

  constructor(options: RespServerOptions) {
    this.node = options.node;
    this.metrics = options.metrics;
    const m = options.metrics;
    this.counted = m && {
      write: m.commands.labels('write'),
      read: m.commands.labels('read'),
      connection: m.commands.labels('connection'),
    };
    this.timed = m && { write: m.requestSeconds.labels('write'), read: m.requestSeconds.labels('read') };
    this.redisAddress = options.redisAddress;
    this.logger = options.logger ?? null;
    this.subscribeHost = { pubsub: this.node.pubsub, readBarrier: () => this.node.readBarrier() };
    this.access = options.access ?? new AccessControl();
    this.protectedMode = options.protectedMode !== false && !this.access.secured;
    const limits = { ...DEFAULT_CLIENT_LIMITS, ...options.limits };
    this.limits = limits;
    this.memory = new ClientMemory(limits.totalBytes);
    this.memoryLimit = options.memoryLimit ?? new MemoryLimit(0);
    this.connectionLimits = {
      outputBytes: limits.outputBytes,
      pubsubOutputBytes: limits.pubsubOutputBytes,
      memory: this.memory,
    };
    const idleMs = limits.idleTimeoutSeconds * 1000;
    // Checked every second, as Redis's clientsCron does: a client is closed within a second or so after its timeout.
    this.idleTimer = idleMs > 0 ? setInterval(() => this.closeIdle(idleMs), 1000).unref() : null;
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** Serves a client connection: from this.server, or from a TLS listener (src/tls/) once its handshake is done. */
  readonly accept = (socket: net.Socket): void => {
    // As Redis: maxclients first, then protected mode.
    if (this.connections.size >= this.limits.maxClients) {
      this.rejectedConnections++;
      return turnAway(socket, MAX_CLIENTS_REPLY);
    }
    if (!this.admit(socket)) return;
    const conn = new RespConnection(this.nextClientId++, socket, this, this.connectionLimits);
    conn.user = this.access.initialUser;
    this.connections.add(conn);
    this.totalConnections++;
    this.metrics?.connections.set(this.connections.size);
    socket.once('close', () => {
      if (conn.subscriptions !== null) this.node.pubsub.drop(conn);
      this.memory.forget(conn);
      this.connections.delete(conn);
      this.metrics?.connections.set(this.connections.size);
    });
  };

  /** Protected mode: a client of another host is told why it is refused, and closed. */
  private admit(socket: net.Socket): boolean {
    const denied = this.protectedMode ? protectedModeRefusal(socket.remoteAddress) : null;
    if (denied === null) return true;
    turnAway(socket, denied);
    return false;
  }

  private closeIdle(idleMs: number): void {
    const now = Date.now();
    for (const conn of this.connections) {
      if (conn.idleFor(now) < idleMs) continue;
      this.logger?.debug({ client: conn.id, remote: conn.remote }, `client ${conn.id} closed: idle`);
      conn.close();
    }
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Listens on host:port with this.server, or with `server` (a TLS listener whose connections come
   * to accept()); a node may listen on several (Redis's port and tls-port).
   */
  listen(host: string, port: number, server: net.Server = this.server): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        this.listening.push(server);
        resolve(server.address() as net.AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    if (this.idleTimer !== null) clearInterval(this.idleTimer);
    for (const conn of this.connections) conn.close();
    const servers = this.listening.splice(0);
    return Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(
      () => undefined,
    );
  }

  // ---- CommandRunner ------------------------------------------------------------------

  classify(conn: RespConnection, argv: Buffer[]): Classified {
    const denied = refusal(conn, argv);
    if (denied !== null) return { kind: 'reply', reply: denied };
    if (this.node.loading && refusedWhileLoading(argv)) {
      if (conn.multi !== null) conn.multi.failed = true; // as Redis: EXEC then answers EXECABORT
      return { kind: 'reply', reply: LOADING_REPLY };
    }
    if (conn.multi !== null) return queueCommand(conn, argv, this.transactions);
    const spec = lookupCommand(argv[0]!);
    if (spec === undefined) return { kind: 'reply', reply: unknownCommandError(argv) };
    // Decided here, on the node the client talks to, before anything is proposed (as Redis: before
    // the subscribed-context check and a write's syntax check).
    if (refusedForMemory(spec, argv, this.outOfMemory)) return { kind: 'reply', reply: OOM };
    const refused = conn.subscriptions !== null ? refusedWhenSubscribed(conn, argv) : null;
    if (refused !== null) return { kind: 'reply', reply: refused };
    if (spec.kind === 'transaction') {
      this.counted?.connection.inc();
      // Before the arity check: a bad EXEC answers EXECABORT.
      return transactionCommand(conn, spec, argv, this.transactions);
    }
    const arity = checkArity(spec, argv.length);
    if (arity !== null) return { kind: 'reply', reply: arity };
    if (spec.subcommands !== null && argv.length > 1) {
      // A known subcommand has its own arity ('config|get' needs a pattern); unknown ones are answered below.
      const sub = lookupSubcommand(spec, argv[1]!);
      const subArity = sub === undefined ? null : checkArity(sub, argv.length);
      if (subArity !== null) return { kind: 'reply', reply: subArity };
    }
    if (spec.kind === 'write') {
      // Too big a command never gets here: the connection refuses it as it arrives.
      const invalid = validateWrite(argv);
      if (invalid !== null) return { kind: 'reply', reply: invalid };
      this.counted?.write.inc();
      return BLOCKING.has(spec.name) ? BLOCKING_WRITE : WRITE;
    }
    if (spec.kind === 'read') {
      this.counted?.read.inc();
      return { kind: 'read' };
    }
    this.counted?.connection.inc();
    return this.local(conn, spec.name, argv);
  }

  submitWrites(commands: Buffer[][]): Promise<Reply[]> {
    return this.node.submitWrites(commands);
  }

  block(conn: RespConnection, argv: Buffer[], elapsedMs: number): Promise<Reply> {
    return this.node.blocked.block(conn.id, argv, elapsedMs);
  }

  unblock(conn: RespConnection): void {
    this.node.blocked.cancel(conn.id);
  }

  readBarrier(): Promise<void> {
    return this.node.readBarrier();
  }

  read(argv: Buffer[]): Reply {
    return this.node.read(argv);
  }

  errorReply(e: unknown): ErrorReply {
    return errorReplyOf(e);
  }

  dropped(conn: RespConnection, reason: string): void {
    this.logger?.warn({ client: conn.id, remote: conn.remote }, `client ${conn.id} disconnected: ${reason}`);
  }

  unauthenticated(conn: RespConnection): boolean {
    return conn.user === null;
  }

  observe(kind: 'write' | 'read', seconds: number): void {
    this.timed?.[kind].observe(seconds);
  }

  // ---- connection-level commands ---------------------------------------------------------

  /** A connection command; `inTransaction`: run as part of EXEC's answer, so answered without waiting (WAIT). */
  private local(conn: RespConnection, name: string, argv: Buffer[], inTransaction = false): Classified {
    const reply = (r: Reply): Classified => ({ kind: 'reply', reply: r });
    switch (name) {
      case 'ping':
        if (argv.length > 2) return reply(wrongArity('ping'));
        if (isSubscribed(conn) && !conn.resp3Read) return reply(subscribedPing(argv));
        return reply(argv.length === 2 ? argv[1]! : new SimpleString('PONG'));
      case 'subscribe':
      case 'unsubscribe':
      case 'psubscribe':
      case 'punsubscribe':
        return subscriptionCommand(conn, name, argv, this.subscribeHost, inTransaction);
      case 'pubsub':
        return { kind: 'late', answer: () => pubsubReply(argv, this.node.pubsub) }; // after earlier SUBSCRIBEs
      case 'reset':
        // Leaves MULTI and subscribed mode, and forgets WATCH, at once; the rest in order with the
        // commands before it.
        conn.multi = null;
        conn.watching = null;
        conn.subscriptions?.clear();
        conn.resp3Read = false;
        conn.user = this.access.initialUser; // RESET signs the client out, as in Redis
        return {
          kind: 'late',
          answer: () => {
            this.node.pubsub.drop(conn);
            conn.name = null;
            conn.resp3 = false;
            return RESET;
          },
        };
      case 'echo':
        return reply(argv[1]!);
      case 'auth':
        return reply(authCommand(this.access, conn, argv));
      case 'acl':
        return reply(aclCommand(conn, argv));
      case 'select':
        return reply(selectReply(argv));
      case 'quit':
        return { kind: 'reply', reply: OK, after: 'quit' };
      case 'client': {
        const mode = argv.length === 3 && isKeyword(argv[1]!, 'reply') ? replyMode(argv[2]!) : null;
        if (mode === null) return { kind: 'late', answer: () => this.client(conn, argv) }; // its name, its protocol: in order
        // Inside EXEC the mode would have no turn of its own to take effect at.
        if (inTransaction) return reply(new ErrorReply("ERR 'client|reply' cannot run in a transaction"));
        return mode instanceof ErrorReply ? reply(mode) : { kind: 'reply', reply: OK, after: mode };
      }
      case 'hello':
        return this.hello(conn, argv);
      case 'info': {
        // Late: it reports the state after this connection's earlier commands, as in Redis.
        const sections = argv.slice(1).map((a) => a.toString('latin1').toLowerCase());
        return { kind: 'late', answer: () => Buffer.from(this.info(sections)) };
      }
      case 'command':
        return reply(commandReply(argv));
      case 'config':
        return reply(configReply(argv, { maxmemory: String(this.memoryLimit.maxmemory) }));
      case 'function':
        return reply(functionReply(argv));
      case 'time': {
        const ms = Date.now();
        return reply([Buffer.from(String(Math.floor(ms / 1000))), Buffer.from(String((ms % 1000) * 1000))]);
      }
      case 'role':
        return { kind: 'late', answer: () => roleReply(this.node) };
      case 'wait':
        return waitCommand(this.node, argv, !inTransaction, () => this.connections.has(conn));
      default:
        return reply(new ErrorReply(`ERR command '${name}' is not served here`));
    }
  }

  private client(conn: RespConnection, argv: Buffer[]): Reply {
    const sub = argv[1]!.toString('latin1').toLowerCase();
    const arity = (n: number): ErrorReply | null =>
      argv.length === n ? null : new ErrorReply(`ERR wrong number of arguments for 'client|${sub}' command`);
    switch (sub) {
      case 'id':
        return arity(2) ?? conn.id;
      case 'getname':
        return arity(2) ?? conn.name;
      case 'setname': {
        const bad = arity(3);
        if (bad) return bad;
        const name = argv[2]!;
        if (name.some((c) => c <= 32 || c > 126)) {
          return new ErrorReply('ERR Client names cannot contain spaces, newlines or special characters.');
        }
        conn.name = name.length === 0 ? null : name;
        return OK;
      }
      case 'setinfo':
        return arity(4) ?? OK;
      case 'info':
        return arity(2) ?? Buffer.from(this.clientLine(conn) + '\n');
      case 'no-evict': {
        // Nothing is ever evicted here: the flag has nothing to change.
        const bad = arity(3);
        if (bad) return bad;
        return isKeyword(argv[2]!, 'on') || isKeyword(argv[2]!, 'off') ? OK : ERR_SYNTAX;
      }
      case 'help':
        return arity(2) ?? clientHelpReply();
      case 'list':
        return Buffer.from([...this.connections].map((c) => this.clientLine(c) + '\n').join(''));
      default:
        return new ErrorReply(
          `ERR unknown subcommand '${argv[1]!.toString('latin1')}'. Try CLIENT HELP.`.replace(/[\r\n]/g, ' '),
        );
    }
  }

  private clientLine(c: RespConnection): string {
    const age = Math.floor((Date.now() - c.createdAt) / 1000);
    const user = c.user?.name ?? 'default';
    return `id=${c.id} addr=${c.remote} name=${c.name?.toString('latin1') ?? ''} age=${age} db=0 user=${user} resp=${c.resp3 ? 3 : 2}`;
  }

  private hello(conn: RespConnection, argv: Buffer[]): Classified {
    let proto: number | null = null; // no version: the connection's, when this HELLO's turn comes
    let i = 1;
    if (argv.length > 1) {
      const version = argv[1]!.toString('latin1');
      if (!/^\d+$/.test(version)) {
        return { kind: 'reply', reply: new ErrorReply('ERR Protocol version is not an integer or out of range') };
      }
      if (version !== '2' && version !== '3') {
        return { kind: 'reply', reply: new ErrorReply('NOPROTO unsupported protocol version') };
      }
      proto = Number(version);
      i = 2;
    }
    let credentials: [Buffer, Buffer] | null = null;
    while (i < argv.length) {
      const given = argv[i]!.toString('latin1');
      const option = given.toLowerCase();
      if (option === 'auth' && i + 2 < argv.length) {
        credentials = [argv[i + 1]!, argv[i + 2]!];
        i += 3;
      } else if (option === 'setname' && i + 1 < argv.length) {
        conn.name = argv[i + 1]!;
        i += 2;
      } else {
        return { kind: 'reply', reply: new ErrorReply(`ERR Syntax error in HELLO option '${given}'`) };
      }
    }
    // A failed AUTH leaves the protocol and the user as they were (SETNAME is taken, as Redis 7.0 does).
    const failed = credentials && authenticate(this.access, conn, ...credentials);
    if (failed) return { kind: 'reply', reply: failed };
    if (conn.user === null) return { kind: 'reply', reply: HELLO_NOAUTH };
    const answer = (p: number): Reply[] => [
      Buffer.from('server'),
      Buffer.from('redis'),
      Buffer.from('version'),
      Buffer.from(VERSION),
      Buffer.from('proto'),
      p,
      Buffer.from('id'),
      conn.id,
      Buffer.from('mode'),
      Buffer.from('standalone'),
      Buffer.from('role'),
      Buffer.from(this.node.status()?.role === 'leader' ? 'master' : 'replica'),
      Buffer.from('modules'),
      [],
    ];
    if (proto === null) return { kind: 'late', answer: () => answer(conn.resp3 ? 3 : 2), map: true };
    conn.resp3Read = proto === 3;
    return { kind: 'reply', reply: answer(proto), map: true, after: proto === 3 ? 'resp3' : 'resp2' };
  }

  /** INFO [section ...]: server, clients, memory, stats, replication, raft, keyspace (default: all). */
  info(sections: string[]): string {
    const all = sections.length === 0 || sections.some((s) => s === 'all' || s === 'everything' || s === 'default');
    const want = (s: string): boolean => all || sections.includes(s);
    const status = this.node.status();
    const out: string[] = [];
    if (want('server')) {
      out.push(
        '# Server',
        `redis_version:${VERSION}`,
        'redis_mode:standalone',
        `process_id:${process.pid}`,
        `tcp_port:${this.redisAddress.split(':').pop()}`,
        `uptime_in_seconds:${Math.floor((Date.now() - this.startedAt) / 1000)}`,
        `executable:little-raft`,
        '',
      );
    }
    if (want('clients')) {
      out.push(
        '# Clients',
        `connected_clients:${this.connections.size}`,
        `maxclients:${this.limits.maxClients}`,
        `blocked_clients:${[...this.connections].filter((c) => c.blocked).length}`,
        '',
      );
    }
    if (want('memory')) out.push(...memoryInfo(this.memoryLimit), '');
    if (want('persistence')) {
      const loading = this.node.loading;
      out.push(
        '# Persistence',
        `loading:${loading ? 1 : 0}`,
        'async_loading:0',
        ...(loading ? [`loading_loaded_perc:${(this.node.loadProgress * 100).toFixed(2)}`] : []),
        `rdb_bgsave_in_progress:${this.node.snapshotting ? 1 : 0}`,
        '',
      );
    }
    if (want('stats')) {
      out.push(
        '# Stats',
        `total_connections_received:${this.totalConnections}`,
        `rejected_connections:${this.rejectedConnections}`,
        `total_commands_applied:${this.node.counters.commandsApplied}`,
        '',
      );
    }
    if (want('replication')) {
      out.push('# Replication', `role:${status?.role === 'leader' ? 'master' : 'slave'}`, '');
    }
    if (want('raft')) {
      out.push(
        '# Raft',
        `node_id:${this.node.id}`,
        `role:${status?.role ?? 'starting'}`,
        `term:${status?.term ?? 0}`,
        `leader_id:${status?.leaderId ?? ''}`,
        `commit_index:${status?.commitIndex ?? 0}`,
        `last_applied:${status?.lastApplied ?? 0}`,
        `last_log_index:${status?.lastLogIndex ?? 0}`,
        `snapshot_index:${status?.snapshotIndex ?? 0}`,
        `voters:${status?.voters.join(',') ?? ''}`,
        `learners:${status?.learners.join(',') ?? ''}`,
        `members:${status ? [...status.voters, ...status.learners].sort((a, b) => a - b).join(',') : ''}`,
        `connected_peers:${this.node.connectedPeers().join(',')}`,
        // One line per member, as INFO replication's slave0:ip=...,port=... lines.
        ...(this.node.membership?.rows() ?? []).map(
          (m) =>
            `member_${m.id}:raft=${m.raft ?? ''},redis=${m.redis ?? ''},http=${m.http ?? ''},role=${m.role},connected=${m.connected ? 1 : 0}`,
        ),
        '',
      );
    }
    if (want('keyspace')) {
      const keys = this.node.machine.keyspace.size;
      out.push(
        '# Keyspace',
        ...(keys > 0 ? [`db0:keys=${keys},expires=${this.node.machine.keyspace.expiringSize},avg_ttl=0`] : []),
        '',
      );
    }
    return out.join('\r\n');
  }
}

/** Answers a connection that is not served with `text` and closes it; what it sends meanwhile is dropped, so the close does not reset the answer away. */
function turnAway(socket: net.Socket, text: string | Uint8Array): void {
  socket.on('error', () => undefined);
  socket.resume();
  socket.end(text);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
