// The replicated state machine of the KV service: applies batches of write commands to the key
// space, exactly once per batch, at the time the leader stamped on the batch, and snapshots it all.
// Deterministic: every replica that applies the same log ends with the same bytes.

import type {
  AbandonedReason,
  Snapshot,
  SnapshotBytes,
  SnapshotWriter,
  StateMachine,
  TransitionState,
} from 'little-raft';
import type { KvBatch } from './batch.js';
import { DedupeTable } from './dedupe.js';
import { Keyspace } from './keyspace.js';
import { isMemberCommand, MemberTable } from './members.js';
import type { Reply } from '../resp/reply.js';
import { WATCH_ABORTED, watchesHold } from './watch.js';
import { KeyspaceWriter } from './keyspace-stream.js';
import { concatInSlices, inSlices, inSlicesThen } from './slices.js';

const SNAPSHOT_MAGIC = 0x4c524b56; // "LRKV"
// Version 2 adds the member table after the dedupe table; 1 (without it) is still read. The key
// space's own bytes say their version (keyspace-snapshot.ts).
const SNAPSHOT_VERSION = 2;
const SNAPSHOT_VERSION_NO_MEMBERS = 1;

export interface KvStateMachineHooks {
  /** A batch was applied at `index`: `replies` per command, or null if it was a duplicate (skipped). */
  applied(batch: KvBatch, replies: Reply[] | null, index: number): void;
  /** A batch this replica took in (getPendingTransitions) will never be applied by it. */
  abandoned(id: string, reason: AbandonedReason | undefined): void;
  /** Batches to propose (leader only): called by the replica. */
  pending(): KvBatch[];
  /** A snapshot replaced the state (the batches it covers were never applied here one by one). */
  restored(lastIncludedIndex: number): void;
  /** The member table changed (a member command applied, or a snapshot restored). */
  membersChanged?(): void;
  /** Snapshot work began or ended, or made progress while loading (for logs and metrics). */
  snapshotEvent?(event: SnapshotEvent): void;
  /** While true, a snapshot load waits (a failpoint for tests: see --hold-load-while). */
  holdLoading?(): boolean;
  /** A snapshot could not be loaded: the state is not what the log says; the node must stop. */
  loadFailed?(error: Error): void;
  /** Where a snapshot's bytes go as they are made (DiskStorage's snapshotWriter); none: into memory. */
  snapshotWriter?(): SnapshotWriter | null;
}

/** What snapshot work tells the node. */
export type SnapshotEvent =
  | { kind: 'take-started'; index: number }
  | { kind: 'taken'; index: number; keys: number; bytes: number; ms: number; copied: number }
  | { kind: 'load-started'; index: number; bytes: number }
  | { kind: 'loading'; index: number; progress: number; keys: number }
  | { kind: 'loaded'; index: number; keys: number; ms: number; queued: number };

/** A snapshot being loaded in slices: transitions handed over meanwhile wait in `queued`. */
interface Load {
  index: number;
  /** Snapshots asked for (createSnapshot) at an index the queue has not reached yet. */
  takes: {
    index: number;
    term: number;
    inMemory: boolean;
    resolve: (s: Snapshot<SnapshotBytes>) => void;
    reject: (e: Error) => void;
  }[];
}

/** Added to a snapshot's size hint: a small key space may grow by more than an eighth. */
const CHUNK_SLACK = 1024 * 1024;
/** Chunks of a MiB a take written to a sink fills before it stops to write them. */
const SEALED_BEFORE_WRITE = 4;
/** Queued transitions applied per check of the time while catching up after a load. */
const APPLY_PER_CHECK = 16;
/** A loading progress event at most this often. */
const PROGRESS_EVERY_MS = 1000;

export class KvStateMachine implements StateMachine<KvBatch, SnapshotBytes> {
  keyspace = new Keyspace();
  /** The latest leader time applied: expiry never runs backwards when leaders' clocks disagree. */
  lastAt = 0;
  lastApplied = 0;
  /** Where each member is (members.ts). */
  members = new MemberTable();
  private dedupe = new DedupeTable();
  /** The snapshot being loaded, if any (setSnapshot): reads and writes wait (the node says LOADING). */
  private load: Load | null = null;
  private queued: [KvBatch, number][] = [];
  /** The size of the last snapshot taken or loaded: the next one's buffer is made to fit it. */
  private lastSnapshotBytes = 0;
  private queuedFrom = 0;

  constructor(private readonly hooks: KvStateMachineHooks) {}

  /**
   * A snapshot being loaded, or the transitions that came meanwhile being caught up on: until
   * then the node answers LOADING (and clients that check INFO wait, as for Redis).
   */
  get loading(): boolean {
    return this.load !== null;
  }

  /** Whether batch `seq` of node `origin` is applied (by this replica or in a snapshot it loaded). */
  covers(origin: number, seq: number): boolean {
    return this.dedupe.covers(origin, seq);
  }

  registerTransitionState(id: string | number, state: TransitionState, reason?: AbandonedReason): void {
    if (state === 'abandoned') this.hooks.abandoned(String(id), reason);
  }

  applyTransition(batch: KvBatch, index = 0): void {
    if (this.load !== null) {
      this.queued.push([batch, index]); // applied once the snapshot being loaded is in
      return;
    }
    this.applyNow(batch, index);
  }

  private applyNow(batch: KvBatch, index: number): void {
    this.lastApplied = index;
    if (batch.id === 'noop') return; // the election noop
    if (batch.at > this.lastAt) this.lastAt = batch.at;
    if (!this.dedupe.admit(batch.origin, batch.seq)) {
      this.hooks.applied(batch, null, index);
      return;
    }
    const at = this.lastAt;
    this.keyspace.beginBatch(index);
    const commands = batch.commands;
    const replies = new Array<Reply>(commands.length);
    const txs = batch.transactions;
    if (txs === undefined) {
      for (let i = 0; i < commands.length; i++) {
        replies[i] = this.applyWrite(commands[i]!, at);
      }
    } else {
      // Inside a transaction reads run too (in order with its writes); between them, plain writes.
      // A transaction whose watched keys changed (by then: the writes before it count) runs not at all.
      // Member commands go between transactions too: the node batches them with its clients' writes.
      let i = 0;
      for (const tx of txs) {
        for (; i < tx.start; i++) replies[i] = this.applyWrite(commands[i]!, at);
        const end = tx.start + tx.count;
        if (tx.watches !== undefined && !watchesHold(this.keyspace, tx.watches, at)) {
          replies.fill(WATCH_ABORTED, i, end);
          i = end;
        }
        for (; i < end; i++) replies[i] = this.keyspace.applyInTransaction(commands[i]!, at);
      }
      for (; i < commands.length; i++) replies[i] = this.applyWrite(commands[i]!, at);
    }
    this.hooks.applied(batch, replies, index);
  }

  /** A write outside a transaction: the internal member command, or one for the key space. */
  private applyWrite(argv: readonly Uint8Array[], at: number): Reply {
    return isMemberCommand(argv) ? this.applyMember(argv) : this.keyspace.applyWrite(argv, at);
  }

  private applyMember(argv: readonly Uint8Array[]): Reply {
    const reply = this.members.apply(argv);
    this.hooks.membersChanged?.();
    return reply;
  }

  /** The newest incarnation of node `origin` whose batches were applied. */
  incarnationOf(origin: number): number {
    return this.dedupe.incarnationOf(origin);
  }

  getPendingTransitions(): KvBatch[] {
    return this.hooks.pending();
  }

  /** A snapshot to start from when storage holds none: a restored backup (cli/restore.ts). */
  initialSnapshot: Snapshot<Uint8Array> | null = null;
  /** The replica started from initialSnapshot (its storage held no snapshot of its own). */
  initialSnapshotUsed = false;

  getSnapshot(): Snapshot<Uint8Array> | null {
    // DiskStorage keeps the snapshots and the replica restores from it; only a node restored from
    // a backup, before its first snapshot of its own, starts from elsewhere. The replica asks only
    // when storage holds no snapshot: load it then, and the state is the snapshot's.
    const initial = this.initialSnapshot;
    if (initial !== null) {
      this.setSnapshot(initial);
      this.initialSnapshotUsed = true;
    }
    return initial;
  }

  /**
   * The state at `lastIncludedIndex` (the last applied), taken in slices from a copy-on-write view
   * of the key space while batches go on being applied (frozen-view.ts). Asked while a snapshot
   * is still loading, it is taken once the queue reaches that index.
   */
  createSnapshot(
    lastIncludedIndex: number,
    lastIncludedTerm: number,
    inMemory = false,
  ): Promise<Snapshot<SnapshotBytes>> {
    const load = this.load;
    if (load !== null) {
      return new Promise((resolve, reject) =>
        load.takes.push({ index: lastIncludedIndex, term: lastIncludedTerm, inMemory, resolve, reject }),
      );
    }
    return this.take(lastIncludedIndex, lastIncludedTerm, inMemory);
  }

  private async take(
    lastIncludedIndex: number,
    lastIncludedTerm: number,
    inMemory: boolean,
  ): Promise<Snapshot<SnapshotBytes>> {
    const started = performance.now();
    this.hooks.snapshotEvent?.({ kind: 'take-started', index: lastIncludedIndex });
    const sink = inMemory ? null : (this.hooks.snapshotWriter?.() ?? null);
    const header = this.header();
    const keyspace = this.keyspace;
    const view = keyspace.freeze();
    // In memory: room for the last snapshot's size and some growth, one buffer, no copy
    // (keyspace-stream.ts). To a sink: chunks of a MiB, a few at a time, each written and reused.
    const hint =
      sink !== null || this.lastSnapshotBytes === 0 ? 0 : Math.ceil(this.lastSnapshotBytes * 1.125) + CHUNK_SLACK;
    const writer = new KeyspaceWriter(view.clock, header, hint);
    const sealed = (): boolean => sink !== null && writer.sealedCount >= SEALED_BEFORE_WRITE;
    const write = async (chunks: Buffer[]): Promise<void> => {
      for (const chunk of chunks) {
        await sink!.write(chunk);
        writer.recycle(chunk);
      }
    };
    const between = (): Promise<void> => (sink === null ? Promise.resolve() : write(writer.takeSealed()));
    let data: SnapshotBytes;
    try {
      try {
        await inSlicesThen((deadline) => {
          for (let n = 1; view.next(writer.key); n++) {
            // Also stops once a few MiB wait to be written: a few large values make MiBs in few keys.
            if (sealed() || ((n & 255) === 0 && performance.now() > deadline)) return false;
          }
          return true;
        }, between);
      } finally {
        keyspace.release(view);
      }
      await inSlicesThen((deadline) => writer.versions(view.versions, deadline), between);
      const parts = writer.finish();
      if (sink === null) {
        data = parts.length === 1 ? parts[0]! : await concatInSlices(parts);
      } else {
        await write(parts);
        data = await sink.finish();
      }
    } catch (error) {
      await sink?.abort();
      throw error;
    }
    this.lastSnapshotBytes = data.length;
    const ms = performance.now() - started;
    const event = {
      kind: 'taken',
      index: lastIncludedIndex,
      keys: writer.keys,
      bytes: data.length,
      ms,
      copied: view.savedCount,
    } as const;
    this.hooks.snapshotEvent?.(event);
    return { lastIncludedIndex, lastIncludedTerm, data };
  }

  /** The bytes before the key space's: format, clock, dedupe table, member table. */
  private header(): Uint8Array {
    const table = this.dedupe.toNumbers();
    const members = this.members.serialize();
    const membersAt = 17 + 8 * table.length;
    const data = new Uint8Array(membersAt + 4 + members.length);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    view.setUint32(0, SNAPSHOT_MAGIC);
    data[4] = SNAPSHOT_VERSION;
    view.setFloat64(5, this.lastAt);
    view.setUint32(13, table.length);
    for (let i = 0; i < table.length; i++) view.setFloat64(17 + 8 * i, table[i]!);
    view.setUint32(membersAt, members.length);
    data.set(members, membersAt + 4);
    return data;
  }

  /**
   * A snapshot's bytes as the start of a NEW cluster (a restored backup): the same key space, with
   * no dedupe table (the old cluster's nodes and their batches mean nothing there; kept, they would
   * make the new nodes' first batches look like duplicates) and no member table (each new member
   * records its own addresses). Every member restored from the file derives the same bytes.
   */
  static forNewCluster(data: Uint8Array): Uint8Array {
    const machine = new KvStateMachine({ applied() {}, abandoned() {}, pending: () => [], restored() {} });
    machine.loadNow({ lastIncludedIndex: 0, lastIncludedTerm: 0, data }); // validates it all
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let keyspaceAt = 17 + 8 * view.getUint32(13);
    if (data[4] === SNAPSHOT_VERSION) keyspaceAt += 4 + view.getUint32(keyspaceAt);
    const out = new Uint8Array(17 + 4 + data.length - keyspaceAt);
    out.set(data.subarray(0, 13));
    out[4] = SNAPSHOT_VERSION;
    // Bytes 13-16 (how many dedupe numbers) and 17-20 (the member table's length) stay 0: none.
    out.set(data.subarray(keyspaceAt), 21);
    return out;
  }

  /**
   * Replaces the state with a snapshot's (from the leader, or at a restart), read in slices: until
   * it is in, transitions handed over wait in a queue, and the node answers its clients LOADING.
   * Nothing changes before every byte was read and checked.
   */
  setSnapshot(snapshot: Snapshot<SnapshotBytes>): void {
    const source = snapshot.data;
    this.lastSnapshotBytes = source.length;
    const previous = this.load;
    const load: Load = { index: snapshot.lastIncludedIndex, takes: [] };
    this.load = load;
    // Everything handed over before a snapshot is covered by it.
    this.queued = [];
    this.queuedFrom = 0;
    if (previous !== null) {
      // Snapshots asked of the state the new one replaces: the replica ignores any at or below it.
      for (const t of previous.takes) t.resolve(snapshot);
    }
    const started = performance.now();
    const index = snapshot.lastIncludedIndex;
    this.hooks.snapshotEvent?.({ kind: 'load-started', index, bytes: snapshot.data.length });
    let reported = started;
    // Data left in a file (DiskStorage's snapshotsOnDisk, at a restart) is read a window at a time:
    // never all in memory.
    let parsed: ParsedSnapshot | null = null;
    let loading: ReturnType<typeof Keyspace.loading> | null = null;
    inSlices((deadline) => {
      if (this.load !== load) return true; // a newer snapshot took over
      if (this.hooks.holdLoading?.() === true) return 'later';
      if (loading === null) {
        parsed = parseHeader(source);
        loading = Keyspace.loading(parsed.keyspace);
      }
      const done = loading.step(deadline);
      const now = performance.now();
      if (!done && now - reported >= PROGRESS_EVERY_MS) {
        reported = now;
        this.hooks.snapshotEvent?.({ kind: 'loading', index, progress: loading.progress, keys: loading.keyspace.size });
      }
      return done;
    })
      .then(async () => {
        if (this.load !== load || parsed === null || loading === null) return;
        this.install(parsed, loading.keyspace, snapshot.lastIncludedIndex);
        const queued = this.queued.length - this.queuedFrom;
        await this.catchUp(load);
        if (this.load !== load) return;
        this.load = null;
        const ms = performance.now() - started;
        this.hooks.snapshotEvent?.({ kind: 'loaded', index, keys: this.keyspace.size, ms, queued });
      })
      .catch((error: unknown) => {
        if (this.load !== load) return;
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const t of load.takes) t.reject(failure);
        this.hooks.loadFailed?.(failure);
      });
  }

  /** setSnapshot all at once (a backup being restored, tests). Throws on malformed bytes. */
  loadNow(snapshot: Snapshot<Uint8Array>): void {
    const parsed = parseHeader(snapshot.data);
    const bytes = parsed.keyspace; // a view of snapshot.data
    const whole = bytes instanceof Uint8Array ? bytes : bytes.subarray(0, bytes.length);
    this.install(parsed, Keyspace.restore(whole), snapshot.lastIncludedIndex);
  }

  private install(parsed: ParsedSnapshot, keyspace: Keyspace, index: number): void {
    keyspace.events = this.keyspace.events;
    this.keyspace = keyspace;
    this.dedupe = parsed.dedupe;
    this.members = parsed.members;
    this.lastAt = parsed.lastAt;
    this.lastApplied = index;
    this.hooks.restored(index);
    this.hooks.membersChanged?.();
  }

  /** Applies what was queued during a load, in slices, and takes the snapshots asked meanwhile. */
  private async catchUp(load: Load): Promise<void> {
    this.startTakes(load);
    await inSlices((deadline) => {
      for (let n = 1; this.load === load && this.queuedFrom < this.queued.length; n++) {
        const [batch, index] = this.queued[this.queuedFrom++]!;
        this.applyNow(batch, index);
        this.startTakes(load);
        if (n % APPLY_PER_CHECK === 0 && performance.now() > deadline) return false;
      }
      return true;
    });
    if (this.load !== load) return;
    this.queued = [];
    this.queuedFrom = 0;
    // Any take left was asked at an index applied by now (at most the last queued).
    for (const t of load.takes.splice(0)) this.take(t.index, t.term, t.inMemory).then(t.resolve, t.reject);
  }

  /** Starts the snapshots asked at the index just applied. */
  private startTakes(load: Load): void {
    if (load.takes.length === 0) return;
    const ready = load.takes.filter((t) => t.index <= this.lastApplied);
    if (ready.length === 0) return;
    load.takes = load.takes.filter((t) => t.index > this.lastApplied);
    for (const t of ready) this.take(this.lastApplied, t.term, t.inMemory).then(t.resolve, t.reject);
  }
}

interface ParsedSnapshot {
  lastAt: number;
  dedupe: DedupeTable;
  members: MemberTable;
  keyspace: SnapshotBytes;
}

/** The parts of a state machine snapshot; the key space's bytes are checked when they are read. */
function parseHeader(source: SnapshotBytes): ParsedSnapshot {
  if (source.length < 17) throw new Error('KV snapshot: too short');
  const fixed = source.subarray(0, 17);
  const view = new DataView(fixed.buffer, fixed.byteOffset, fixed.byteLength);
  if (view.getUint32(0) !== SNAPSHOT_MAGIC) throw new Error('KV snapshot: not a little-raft KV snapshot');
  const version = fixed[4];
  if (version !== SNAPSHOT_VERSION && version !== SNAPSHOT_VERSION_NO_MEMBERS) {
    throw new Error(`KV snapshot: unknown version ${version}`);
  }
  const lastAt = view.getFloat64(5);
  const count = view.getUint32(13);
  let header = 17 + 8 * count;
  if (header > source.length) throw new Error(`KV snapshot: a dedupe table of ${count} numbers does not fit`);
  const tableBytes = source.subarray(17, header);
  const tableView = new DataView(tableBytes.buffer, tableBytes.byteOffset, tableBytes.byteLength);
  const table = new Array<number>(count);
  for (let i = 0; i < count; i++) table[i] = tableView.getFloat64(8 * i);
  let members = new MemberTable();
  if (version === SNAPSHOT_VERSION) {
    if (header + 4 > source.length) throw new Error('KV snapshot: the member table does not fit');
    const lengthBytes = source.subarray(header, header + 4);
    const length = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 4).getUint32(0);
    if (header + 4 + length > source.length)
      throw new Error(`KV snapshot: a member table of ${length} bytes does not fit`);
    if (length > 0) members = MemberTable.parse(source.subarray(header + 4, header + 4 + length));
    header += 4 + length;
  }
  return {
    lastAt: Number.isFinite(lastAt) ? lastAt : 0,
    dedupe: DedupeTable.fromNumbers(table),
    members,
    keyspace: bytesFrom(source, header),
  };
}

/** `source` from byte `at` on: a view of a Uint8Array, or reads of the rest from `at`. */
function bytesFrom(source: SnapshotBytes, at: number): SnapshotBytes {
  if (source instanceof Uint8Array) return source.subarray(at);
  return {
    length: source.length - at,
    subarray: (begin, end) => source.subarray(at + begin, at + Math.min(end, source.length - at)),
  };
}
