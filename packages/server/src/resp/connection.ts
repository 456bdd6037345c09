// One Redis client connection: parses commands, runs them through the node, answers in order.
//
// Commands run in groups: a maximal run of consecutive writes goes to the node as one submission
// (the node batches it with other connections' writes), a run of reads shares one ReadIndex
// barrier. A group starts only when the previous one has finished, so a connection's own
// commands take effect in the order it sent them (a GET after a SET sees the SET; a GET before a
// SET does not), while many connections' groups proceed at once. Connection-level commands and
// errors are answered at once but still go out in order. An EXEC is a group of its own (its
// transaction's rules are in transaction.ts). A blocking command (BLPOP ...) ends its group: when
// it finds nothing, the connection waits for the node to serve it (or for its timeout) before it
// starts the next group, as a blocked Redis client does; other connections carry on.

import type * as net from 'node:net';

import { ExecReply } from '../commands/exec-reply.js';
import type { AfterReply, Classified, ExecRun } from './classified.js';
import type { Reply } from './reply.js';
import { ErrorReply, NULL_ARRAY, Push } from './reply.js';
import { MAX_BULK_LENGTH, OversizedRequest, RequestParser } from './request-parser.js';
import type { ClientMemory, MemoryHolder } from './client-memory.js';
import { DEFAULT_CLIENT_LIMITS } from './client-limits.js';
import { ReplyWriter } from './resp-encode.js';
import type { MultiState } from '../commands/transaction.js';
import type { ClientSubscriptions } from '../commands/subscribe.js';
import type { WatchSet } from '../commands/watch.js';
import type { AclUser } from '../auth/acl-user.js';

export type { Classified } from './classified.js';

/** What the server does for a connection; implemented by RespServer. */
export interface CommandRunner {
  /** Classifies a command: an immediate reply (errors, connection commands), or a write/read. */
  classify(conn: RespConnection, argv: Buffer[]): Classified;
  submitWrites(commands: Buffer[][]): Promise<Reply[]>;
  /**
   * A blocking command found nothing to pop `elapsedMs` ago: resolves with its reply once it is
   * served, or with nil at its timeout. Without it, such a command answers nil at once.
   */
  block?(conn: RespConnection, argv: Buffer[], elapsedMs: number): Promise<Reply>;
  /** The connection closes while blocked: it stops waiting and takes nothing. */
  unblock?(conn: RespConnection): void;
  readBarrier(): Promise<void>;
  read(argv: Buffer[]): Reply;
  errorReply(e: unknown): ErrorReply;
  /** Per command kind: called with the time a group took, for latency metrics. */
  observe(kind: 'write' | 'read', seconds: number, commands: number): void;
  /** The connection is being closed for `reason` (a client breaking a limit). */
  dropped?(conn: RespConnection, reason: string): void;
  /** The client must still authenticate: its requests get Redis's smaller limits. Absent: never. */
  unauthenticated?(conn: RespConnection): boolean;
}

/**
 * A read whose barrier has passed, answered when its answer is written (in the same turn): a
 * pipeline of GETs of a big value is never all in memory at once, and what a client dropped
 * half-way did not ask for is never read.
 */
const READ_NOW = Symbol('read now');

interface Slot {
  /** undefined: not answered yet; a function: answered by calling it once its turn comes. */
  reply: Reply | ExecReply | (() => Reply | ExecReply) | typeof READ_NOW | undefined;
  after: AfterReply | undefined;
  /** The reply is a flat key/value list to encode as a map (HELLO). */
  map: boolean;
  /** The command of a READ_NOW reply. */
  read: Buffer[] | null;
}

interface Group {
  /** 'local': one asynchronous connection command (WAIT), not timed in the metrics. */
  kind: 'write' | 'read' | 'local';
  commands: Buffer[][];
  slots: Slot[];
  /** An EXEC or an asynchronous command (never joined by other commands); null for a run of writes or reads. */
  exec: ExecRun | null;
  /** Its last command is a blocking one: nothing joins the group after it. */
  blocking: boolean;
}

/** Stop reading from a client that has this many answers outstanding; resume below half. */
const MAX_OUTSTANDING = 16384;
/**
 * Answers are handed to the socket at least every this many bytes: the writer's buffer (which a
 * socket holding its bytes keeps whole) stays small, and the limits are checked as answers pile up.
 */
const SEND_BYTES = 1024 * 1024;
/** How long a connection closed for a protocol error keeps draining what the client still sends. */
export const LINGER_MS = 2000;
/**
 * Write commands go into Raft entries and peer frames (16 MiB): the server refuses larger ones,
 * and so larger commands of any kind, whose bytes it drops as they arrive instead of keeping them.
 */
const MAX_COMMAND_BYTES = 8 * 1024 * 1024;

/**
 * What a connection may make the server hold. A client that leaves more than its output limit of
 * answers unread (written but not yet taken by the kernel) is disconnected, as Redis does past a
 * client-output-buffer-limit: the server's memory must not grow with whatever a client pipelines
 * and never reads. Reading from it is not paused instead: a client that sends its whole pipeline
 * before reading any answer (redis-py's pipeline.execute does) would then wait forever.
 */
export interface ConnectionLimits {
  /** Bytes of answers left unread; 0: no limit. */
  outputBytes: number;
  /** The same while subscribed to a channel or pattern. */
  pubsubOutputBytes: number;
  /** Where what every client holds is added up (and the biggest evicted); null: not counted. */
  memory: ClientMemory | null;
}

const DEFAULT_LIMITS: ConnectionLimits = {
  outputBytes: DEFAULT_CLIENT_LIMITS.outputBytes,
  pubsubOutputBytes: DEFAULT_CLIENT_LIMITS.pubsubOutputBytes,
  memory: null,
};

export class RespConnection implements MemoryHolder {
  /** CLIENT ID */
  readonly id: number;
  /** CLIENT SETNAME */
  name: Buffer | null = null;
  resp3 = false;
  /**
   * The protocol of the commands read so far: a HELLO switches it at once, `resp3` when its answer
   * is written. A subscribed connection's rules depend on it (commands/subscribe.ts).
   */
  resp3Read = false;
  /** Waiting in a blocking command (BLPOP ...) for the node to serve it. */
  blocked = false;
  /** Inside MULTI: the queued transaction; null otherwise. */
  multi: MultiState | null = null;
  /** What SUBSCRIBE and PSUBSCRIBE have subscribed it to (commands/subscribe.ts); null if never used. */
  subscriptions: ClientSubscriptions | null = null;
  /** The keys WATCHed for the next EXEC; null: none. */
  watching: WatchSet | null = null;
  /** The user it runs as (src/auth/); null: it has not authenticated yet. */
  user: AclUser | null = null;
  readonly createdAt = Date.now();
  private readonly socket: net.Socket;
  private readonly runner: CommandRunner;
  private readonly parser = new RequestParser({
    maxBulkLength: MAX_BULK_LENGTH,
    maxArgumentBytes: MAX_COMMAND_BYTES,
    unauthenticated: () => this.runner.unauthenticated?.(this) === true,
  });
  private readonly writer = new ReplyWriter(4096);
  /** Where answers silenced by CLIENT REPLY OFF / SKIP are made, then dropped. */
  private readonly unsent = new ReplyWriter(64);
  /** CLIENT REPLY's mode, as of the last answer written. */
  private replyMode: 'on' | 'off' | 'skip' = 'on';
  private slots: Slot[] = [];
  private head = 0;
  private readonly groups: Group[] = [];
  private busy = false;
  private paused = false;
  private readonly limits: ConnectionLimits;
  /** What this connection last reported to limits.memory. */
  private reportedBytes = 0;
  /** It read or wrote since the last idle check (idleFor). */
  private active = true;
  private idleSince = 0;
  private closed = false;
  /** A flush is due for pub/sub messages written since the last one. */
  private pushing = false;
  /** A protocol error: the connection closes as soon as its answers are written. */
  private aborting = false;
  /**
   * QUIT or a protocol error was seen: nothing after it is read or run (as in Redis); its answer goes
   * out after those to the commands before it, then the connection closes.
   */
  private ending = false;

  constructor(id: number, socket: net.Socket, runner: CommandRunner, limits: ConnectionLimits = DEFAULT_LIMITS) {
    this.id = id;
    this.limits = limits;
    this.socket = socket;
    this.runner = runner;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    if (limits.memory !== null) socket.on('drain', () => this.account());
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  get remote(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.limits.memory?.forget(this);
    this.reportedBytes = 0;
    if (this.blocked) {
      this.blocked = false;
      this.runner.unblock?.(this);
    }
  }

  /** Closes the connection of a client breaking a limit, saying why (once). */
  drop(reason: string): void {
    if (this.closed) return;
    this.runner.dropped?.(this, reason);
    this.close();
  }

  // ---- MemoryHolder: what the client makes the server hold -------------------------------

  heldBytes(): number {
    if (this.closed) return 0;
    return this.socket.writableLength + this.writer.length + this.parser.pendingBytes();
  }

  evict(reason: string): void {
    this.drop(`clients' memory over its limit: ${reason}`);
  }

  /** Tells limits.memory what the connection holds, when that changed. */
  private account(): void {
    const memory = this.limits.memory;
    if (memory === null || this.closed) return;
    const bytes = this.heldBytes();
    if (bytes === this.reportedBytes) return;
    this.reportedBytes = bytes;
    memory.report(this, bytes);
  }

  /**
   * For the idle timeout, checked every so often: how long (ms) the client has been idle as of
   * `now`, as seen by these checks. A client waiting for the server (a command running, blocked in
   * BLPOP, or subscribed: it waits for messages) is never idle, as in Redis.
   */
  idleFor(now: number): number {
    const waiting = this.busy || this.head < this.slots.length || (this.subscriptions?.count ?? 0) > 0;
    if (this.active || waiting) {
      this.active = false;
      this.idleSince = now;
      return 0;
    }
    return now - this.idleSince;
  }

  /**
   * Writes a pub/sub message now: after every answer already written, before those still to come
   * (as if delivered between two commands). Messages written in one turn go out together.
   */
  pushRaw(bytes: Uint8Array): void {
    if (this.closed) return;
    this.writer.writeRaw(bytes);
    if (this.pushing) return;
    this.pushing = true;
    queueMicrotask(() => {
      this.pushing = false;
      this.flush();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.ending) return;
    this.active = true;
    this.parser.push(chunk);
    while (!this.closed && !this.ending) {
      const request = this.parser.next();
      if (request === undefined) break;
      if (Array.isArray(request)) this.onCommand(request);
      else if (request instanceof OversizedRequest) this.oversized(request.bytes);
      else this.protocolError(request.detail);
    }
    this.pump();
    this.flush();
  }

  private onCommand(argv: Buffer[]): void {
    if (this.ending) return;
    const what = this.runner.classify(this, argv);
    const slot: Slot = { reply: undefined, after: undefined, map: false, read: null };
    this.slots.push(slot);
    if (what.kind === 'late') {
      slot.reply = what.answer;
      slot.map = what.map === true;
      return;
    }
    if (what.kind === 'reply') {
      slot.reply = what.reply;
      slot.after = what.after;
      slot.map = what.map === true;
      if (what.after === 'quit') this.ending = true;
      return;
    }
    const last = this.groups[this.groups.length - 1];
    const blocking = what.kind === 'write' && what.blocking === true;
    if (what.kind === 'exec') {
      this.groups.push({ kind: what.as, commands: [], slots: [slot], exec: what, blocking: false });
    } else if (what.kind === 'async') {
      const exec: ExecRun = {
        kind: 'exec',
        as: 'read',
        run: () => what.run().then((r) => [r]),
        answer: (r) => r[0]!,
      };
      this.groups.push({ kind: 'local', commands: [], slots: [slot], exec, blocking: false });
    } else if (last !== undefined && last.kind === what.kind && last.exec === null && !last.blocking) {
      last.commands.push(argv);
      last.slots.push(slot);
      last.blocking = blocking;
    } else {
      this.groups.push({ kind: what.kind, commands: [argv], slots: [slot], exec: null, blocking });
    }
    if (!this.paused && this.slots.length - this.head > MAX_OUTSTANDING) {
      this.paused = true;
      this.socket.pause();
    }
  }

  /** Starts the next group when none is running. */
  private pump(): void {
    if (this.busy || this.closed) return;
    const group = this.groups.shift();
    if (group === undefined) return;
    this.busy = true;
    const started = performance.now();
    const done = (): void => {
      if (group.kind !== 'local')
        this.runner.observe(group.kind, (performance.now() - started) / 1000, group.commands.length);
      this.busy = false;
      this.flush();
      this.pump();
    };
    const fail = (e: unknown): void => {
      const error = this.runner.errorReply(e);
      for (const slot of group.slots) slot.reply = error;
      done();
    };
    const exec = group.exec;
    if (exec !== null) {
      exec.run().then((replies) => {
        group.slots[0]!.reply = () => exec.answer(replies);
        done();
      }, fail);
    } else if (group.kind === 'write') {
      this.runner.submitWrites(group.commands).then((replies) => {
        for (let i = 0; i < group.slots.length; i++) group.slots[i]!.reply = replies[i] ?? null;
        if (group.blocking && this.block(group, started)) return;
        done();
      }, fail);
    } else {
      this.runner.readBarrier().then(() => {
        for (let i = 0; i < group.slots.length; i++) {
          const slot = group.slots[i]!;
          slot.reply = READ_NOW;
          slot.read = group.commands[i]!;
        }
        done(); // flushes: every slot before these is answered, so all of them are read now
      }, fail);
    }
  }

  /**
   * A blocking command ending a write group that found nothing (nil): the answers before it go
   * out, and the connection waits (no next group) until the node serves it or it times out.
   * Whether it blocked. The time blocked is not the group's latency.
   */
  private block(group: Group, started: number): boolean {
    const last = group.slots.length - 1;
    const slot = group.slots[last]!;
    if ((slot.reply !== null && slot.reply !== NULL_ARRAY) || this.runner.block === undefined) return false;
    // The client left while the command ran: nobody would take what a wait pops (close() unblocks
    // only a connection already blocked).
    if (this.closed) return false;
    const elapsed = performance.now() - started;
    this.runner.observe('write', elapsed / 1000, group.commands.length);
    slot.reply = undefined;
    this.flush();
    const resume = (reply: Reply): void => {
      this.blocked = false;
      slot.reply = reply;
      this.busy = false;
      this.flush();
      this.pump();
    };
    this.blocked = true;
    this.runner
      .block(this, group.commands[last]!, elapsed)
      .then(resume, (e: unknown) => resume(this.runner.errorReply(e)));
    return true;
  }

  /**
   * Whether the answer to the command whose turn it is goes out, given what that command changes
   * (`after`); moves the CLIENT REPLY mode on. SKIP silences itself and the command after it; SKIP
   * while OFF changes nothing (as in Redis).
   */
  private replyOn(after: AfterReply | undefined): boolean {
    const mode = this.replyMode;
    if (after === 'reply-on') this.replyMode = 'on';
    else if (after === 'reply-off') this.replyMode = 'off';
    else if (after === 'reply-skip') this.replyMode = mode === 'off' ? 'off' : 'skip';
    else if (mode === 'skip') this.replyMode = 'on';
    return after === 'reply-on' || (mode === 'on' && after !== 'reply-off' && after !== 'reply-skip');
  }

  /** Writes every answer that is ready, in order. */
  private flush(): void {
    if (this.closed) return;
    const slots = this.slots;
    let quit = false;
    // Answers are handed to the socket whenever they pass what the limits leave room for, to be
    // judged then: a pipeline of GETs of a big value must not be made into one huge write first.
    let room = this.room();
    while (this.head < slots.length) {
      const slot = slots[this.head]!;
      if (slot.reply === undefined) break;
      if (slot.reply === READ_NOW) {
        slot.reply = this.runner.read(slot.read!);
        slot.read = null;
      } else if (typeof slot.reply === 'function') slot.reply = slot.reply();
      // HELLO answers in the protocol it switches to (a RESP3 map for HELLO 3).
      if (slot.after === 'resp3') this.resp3 = true;
      else if (slot.after === 'resp2') this.resp3 = false;
      // CLIENT REPLY OFF / SKIP: the answer is made (it may switch the protocol) but not sent.
      // Pub/sub confirmations are pushes, sent whatever the mode, as Redis 7.0 does.
      const out = this.replyOn(slot.after) || slot.reply instanceof Push ? this.writer : this.unsent;
      if (slot.reply instanceof ExecReply) this.resp3 = slot.reply.write(out, this.resp3);
      else if (slot.map && Array.isArray(slot.reply)) out.writeMap(slot.reply, this.resp3);
      else out.write(slot.reply, this.resp3);
      if (out === this.unsent) out.take();
      this.head++;
      if (slot.after === 'quit') {
        quit = true;
        break;
      }
      if (this.writer.length > room) {
        if (!this.send()) return;
        room = this.room();
      }
    }
    if (this.head === slots.length) {
      this.slots = [];
      this.head = 0;
    } else if (this.head > 4096) {
      this.slots = slots.slice(this.head);
      this.head = 0;
    }
    if (this.writer.length > 0 && !this.send()) return;
    this.account();
    if (quit) {
      this.closed = true;
      this.socket.end();
      if (this.aborting) {
        // After a protocol error the client may still be sending. Closing with its bytes unread
        // would answer them with a reset, which can destroy the error before the client reads it:
        // keep reading (and dropping) them for a moment, as a lingering close does.
        this.socket.resume();
        setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
      }
      return;
    }
    if (this.paused && this.slots.length - this.head < MAX_OUTSTANDING / 2) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** How many bytes of answers to write before they go to the socket and the limits are checked again. */
  private room(): number {
    const limit = (this.subscriptions?.count ?? 0) > 0 ? this.limits.pubsubOutputBytes : this.limits.outputBytes;
    const own = limit > 0 ? limit - this.socket.writableLength : SEND_BYTES;
    return Math.min(own, SEND_BYTES, this.limits.memory?.headroom() ?? SEND_BYTES);
  }

  /**
   * Hands the answers written so far to the socket, and drops the client if that leaves more
   * unread than its limit; then reports what it holds (which may evict it, or others). Whether
   * the connection is still open.
   */
  private send(): boolean {
    this.active = true;
    if (!this.socket.write(this.writer.take())) {
      const unsent = this.socket.writableLength;
      const subscribed = (this.subscriptions?.count ?? 0) > 0;
      const limit = subscribed ? this.limits.pubsubOutputBytes : this.limits.outputBytes;
      if (limit > 0 && unsent > limit) {
        this.drop(`${unsent} bytes of answers unread (limit ${limit}${subscribed ? ', subscribed' : ''})`);
        return false;
      }
    }
    this.account();
    return !this.closed;
  }

  /**
   * A request too big to run, whose bytes were dropped: refused with the connection kept open. In
   * MULTI it dooms the transaction, as any command refused while queuing does.
   */
  private oversized(bytes: number): void {
    if (this.multi !== null) this.multi.failed = true;
    const error = new ErrorReply(`ERR command of ${bytes} bytes exceeds the limit of ${MAX_COMMAND_BYTES} bytes`);
    this.slots.push({ reply: error, after: undefined, map: false, read: null });
  }

  /**
   * Redis answers a malformed stream with one error and closes the connection; the commands before
   * it are still answered first.
   */
  private protocolError(detail: string): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    this.aborting = true;
    this.slots.push({ reply: new ErrorReply(`ERR Protocol error: ${detail}`), after: 'quit', map: false, read: null });
    this.flush();
  }
}
