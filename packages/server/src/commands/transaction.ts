// MULTI, EXEC and DISCARD with Redis 7.0's rules, per connection.
//
// After MULTI a command is checked as Redis checks it before queuing it (known command and
// subcommand, arity, and here a size limit): a failed check answers the error and dooms the
// transaction, so EXEC answers EXECABORT and nothing runs; otherwise it is queued (+QUEUED).
// Errors that Redis finds only while running a command (SET's syntax, INCR of a non-integer) are
// elements of EXEC's array, and the other commands still take effect: Redis has no rollback.
//
// EXEC runs the queue as one unit. With a write among its commands, every key-space command
// (reads too) goes to the node as one transaction: one span of one log entry, applied on every
// replica with nothing in between, its reads answered at apply time, so they see the
// transaction's own writes and are linearizable. A read-only one takes one read barrier and
// then reads in one synchronous step. Connection commands (PING, CLIENT, INFO, HELLO ...) are
// answered when EXEC's turn comes, in their places in the array.
//
// WATCH (before MULTI) makes EXEC answer nil, running nothing, if a watched key changed: see
// watch.ts. Inside MULTI, WATCH is refused (the transaction goes on) and UNWATCH is queued.

import { lookupCommand, resolveCommand, type CommandSpec } from './command-table.js';
import { isDenyoom, OOM } from './denyoom.js';
import type { Classified, ExecRun } from '../resp/classified.js';
import { EXEC_NIL, ExecReply, type ExecElement } from './exec-reply.js';
import { ErrorReply, OK, SimpleString, type Reply } from '../resp/reply.js';
import type { KvWatch } from '../store/batch.js';
import { WATCH_ABORTED } from '../store/watch.js';
import { unwatchCommand, watchCommand, type WatchConnection, type WatchHost, type WatchSet } from './watch.js';

/** What a transaction keeps on its connection (RespConnection). */
export interface TransactionConnection extends WatchConnection {
  multi: MultiState | null;
  resp3: boolean;
}

/** What EXEC (and WATCH) needs from the server. */
export interface TransactionHost<C extends TransactionConnection> extends WatchHost {
  /**
   * Runs a transaction's key-space commands (a write among them) as one unit; a reply each, or
   * WATCH_ABORTED for each if a watched key changed (nothing ran).
   */
  submitTransaction(commands: Buffer[][], watches: readonly KvWatch[]): Promise<Reply[]>;
  /** Reads in one synchronous step (after readBarrier); null, reading nothing, if a watched key changed. */
  readAll(commands: Buffer[][], watches: readonly KvWatch[]): Reply[] | null;
  /** A connection command, as the server answers it outside a transaction ('reply' or 'late'). */
  local(conn: C, name: string, argv: Buffer[]): Classified;
  /** A queued command of `kind` runs (for the commands metric). */
  ran?(kind: 'write' | 'read' | 'local'): void;
  /** Whether used memory is over --maxmemory (denyoom.ts); absent: no limit. */
  outOfMemory?(): boolean;
}

/** The bytes a transaction may queue: with a write it becomes one log entry, which must fit a peer frame. */
export const MAX_TRANSACTION_BYTES = 8 * 1024 * 1024;

const QUEUED: Classified = { kind: 'reply', reply: new SimpleString('QUEUED') };
const EXECABORT = new ErrorReply('EXECABORT Transaction discarded because of previous errors.');
const NESTED = new ErrorReply('ERR MULTI calls can not be nested');
const EXEC_WITHOUT_MULTI = new ErrorReply('ERR EXEC without MULTI');
const DISCARD_WITHOUT_MULTI = new ErrorReply('ERR DISCARD without MULTI');
const WATCH_IN_MULTI = new ErrorReply('ERR WATCH inside MULTI is not allowed');
const NO_REPLIES: Reply[] = [];
const ABORTED: Reply[] = [WATCH_ABORTED];
const NO_WATCHES: KvWatch[] = [];
/** What still runs inside MULTI while memory is over the limit. */
const LEAVE_MULTI: ReadonlySet<string> = new Set(['exec', 'discard', 'quit', 'reset']);

/** A connection's transaction between MULTI and EXEC / DISCARD. */
export class MultiState {
  /** The queued commands, in order, each with its (top-level) command. */
  readonly commands: Buffer[][] = [];
  readonly specs: CommandSpec[] = [];
  /** A command was refused while queuing: EXEC answers EXECABORT. */
  failed = false;
  /** What the queued commands take in a log entry, about (see entryBytes). */
  bytes = 0;
  /** A denyoom command is queued: EXEC is refused while memory is over the limit (denyoom.ts). */
  denyoom = false;
}

const reply = (r: Reply): Classified => ({ kind: 'reply', reply: r });

/** Redis: a rejected EXEC discards the transaction (in MULTI or not) and the watches, and says why. */
function abortExec(conn: TransactionConnection, error: ErrorReply): Classified {
  conn.multi = null;
  conn.watching = null;
  const why = error.message.startsWith('ERR ') ? error.message.slice(4) : error.message;
  return reply(new ErrorReply(`EXECABORT Transaction discarded because of: ${why}`));
}

/**
 * MULTI, EXEC, DISCARD, WATCH or UNWATCH outside a transaction (`spec` is one of them; the server
 * has found it, and the arity is checked here because a bad EXEC answers differently).
 */
export function transactionCommand<C extends TransactionConnection>(
  conn: C,
  spec: CommandSpec,
  argv: Buffer[],
  host: TransactionHost<C>,
): Classified {
  const arityOk = argv.length === 1;
  switch (spec.name) {
    case 'watch':
      return watchCommand(conn, argv, host, MAX_TRANSACTION_BYTES);
    case 'unwatch':
      return unwatchCommand(conn, argv);
    case 'multi':
      if (!arityOk) return reply(new ErrorReply("ERR wrong number of arguments for 'multi' command"));
      conn.multi = new MultiState();
      conn.multi.bytes = conn.watching?.bytes ?? 0; // the watches go into the same log entry
      return reply(OK);
    case 'exec':
      if (!arityOk) return abortExec(conn, new ErrorReply("ERR wrong number of arguments for 'exec' command"));
      return reply(EXEC_WITHOUT_MULTI);
    default:
      if (!arityOk) return reply(new ErrorReply("ERR wrong number of arguments for 'discard' command"));
      return reply(DISCARD_WITHOUT_MULTI);
  }
}

/** A command that came while `conn` is inside MULTI: queued, refused, or run (EXEC, DISCARD, QUIT). */
export function queueCommand<C extends TransactionConnection>(
  conn: C,
  argv: Buffer[],
  host: TransactionHost<C>,
): Classified {
  const tx = conn.multi!;
  const resolved = resolveCommand(argv);
  const spec = lookupCommand(argv[0]!);
  if (resolved instanceof ErrorReply) {
    if (spec?.name === 'exec') return abortExec(conn, resolved);
    tx.failed = true;
    return reply(resolved);
  }
  // As Redis: over the memory limit, queuing anything takes memory, so every command but these
  // four is refused; EXEC only if it would run a denyoom command.
  const name = spec!.name;
  const mayDeny = name === 'exec' ? tx.denyoom : !LEAVE_MULTI.has(name);
  if (mayDeny && host.outOfMemory?.() === true) {
    if (name === 'exec') return abortExec(conn, OOM);
    tx.failed = true;
    return reply(OOM);
  }
  switch (name) {
    case 'multi':
      return reply(NESTED); // refused, but the transaction goes on (as in Redis)
    case 'watch':
      return reply(WATCH_IN_MULTI); // the same
    case 'discard':
      conn.multi = null;
      conn.watching = null;
      return reply(OK);
    case 'exec': {
      conn.multi = null;
      const watches = conn.watching;
      conn.watching = null;
      return tx.failed ? reply(EXECABORT) : exec(conn, tx, watches, host);
    }
    case 'quit':
      return host.local(conn, 'quit', argv);
    case 'reset':
      return host.local(conn, 'reset', argv); // not queued: it leaves MULTI (as in Redis)
  }
  if (tx.failed) return QUEUED; // doomed: nothing more is kept (as in Redis)
  const bytes = entryBytes(argv);
  if (tx.bytes + bytes > MAX_TRANSACTION_BYTES) {
    tx.failed = true;
    return reply(new ErrorReply(`ERR a transaction may queue at most ${MAX_TRANSACTION_BYTES} bytes of commands`));
  }
  tx.bytes += bytes;
  tx.commands.push(argv);
  tx.specs.push(spec!);
  if (isDenyoom(resolved)) tx.denyoom = true;
  return QUEUED;
}

/** An upper bound on what a command takes in a log entry: its arguments and their length prefixes. */
function entryBytes(argv: Buffer[]): number {
  let n = 4;
  for (const arg of argv) n += arg.length + 4;
  return n;
}

/**
 * EXEC of a transaction that queued without errors; `watching`: the connection's watches. Their
 * records are taken when EXEC runs: the WATCHes before it have run by then.
 */
function exec<C extends TransactionConnection>(
  conn: C,
  tx: MultiState,
  watching: WatchSet | null,
  host: TransactionHost<C>,
): Classified {
  const data: Buffer[][] = [];
  let writes = false;
  for (let i = 0; i < tx.commands.length; i++) {
    const kind = tx.specs[i]!.kind;
    if (kind === 'write' || kind === 'read') data.push(tx.commands[i]!);
    if (kind === 'write') writes = true;
  }
  const run = (): Promise<Reply[]> => {
    const watches = watching === null ? NO_WATCHES : watching.records();
    if (watches === null) return Promise.resolve(ABORTED); // a WATCH failed: nothing can be trusted
    if (writes) return host.submitTransaction(data, watches); // checked when applied
    if (data.length === 0 && watches.length === 0) return Promise.resolve(NO_REPLIES);
    // Checked after the barrier, in the same step as the reads: linearizable, no log entry.
    return host.readBarrier().then(() => host.readAll(data, watches) ?? ABORTED);
  };
  const what: ExecRun = {
    kind: 'exec',
    as: writes ? 'write' : 'read',
    run,
    answer: (replies) => (replies[0] === WATCH_ABORTED ? EXEC_NIL : answer(conn, tx, replies, host)),
  };
  return what;
}

/**
 * EXEC's array: the key-space commands' replies in their places, the connection commands answered
 * now, in order (a CLIENT SETNAME before a CLIENT GETNAME is seen by it; a HELLO switches the
 * protocol of the elements after it, as in Redis).
 */
function answer<C extends TransactionConnection>(
  conn: C,
  tx: MultiState,
  replies: Reply[],
  host: TransactionHost<C>,
): Reply | ExecReply {
  const out: ExecElement[] = [];
  const resp3 = conn.resp3; // the array starts in it; a queued HELLO without a version sees the switches
  let plain = true;
  let next = 0;
  for (let i = 0; i < tx.commands.length; i++) {
    const spec = tx.specs[i]!;
    if (spec.kind === 'write' || spec.kind === 'read') {
      host.ran?.(spec.kind);
      out.push({ reply: replies[next++] ?? null, map: false, switchTo: undefined });
      continue;
    }
    if (spec.kind === 'transaction') {
      // UNWATCH, the only one queued: EXEC has forgotten the watches already.
      host.ran?.('local');
      out.push({ reply: OK, map: false, switchTo: undefined });
      continue;
    }
    host.ran?.('local');
    const element = localElement(host.local(conn, spec.name, tx.commands[i]!), spec.name);
    if (element.switchTo !== undefined) conn.resp3 = element.switchTo === 'resp3';
    if (element.map || element.switchTo !== undefined) plain = false;
    out.push(element);
  }
  conn.resp3 = resp3; // the connection switches when the array is written
  return plain ? out.map((e) => e.reply) : new ExecReply(out);
}

function localElement(c: Classified, name: string): ExecElement {
  if (c.kind === 'late') return { reply: c.answer(), map: c.map === true, switchTo: undefined };
  if (c.kind !== 'reply') {
    return { reply: new ErrorReply(`ERR '${name}' cannot run in a transaction`), map: false, switchTo: undefined };
  }
  const switchTo = c.after === 'resp2' || c.after === 'resp3' ? c.after : undefined;
  return { reply: c.reply, map: c.map === true, switchTo };
}
