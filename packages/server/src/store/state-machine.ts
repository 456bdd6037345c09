// The replicated state machine of the KV service: applies batches of write commands to the key
// space, exactly once per batch, at the time the leader stamped on the batch, and snapshots it all.
// Deterministic: every replica that applies the same log ends with the same bytes.

import type { AbandonedReason, Snapshot, StateMachine, TransitionState } from 'little-raft';
import type { KvBatch } from './batch.js';
import { DedupeTable } from './dedupe.js';
import { Keyspace } from './keyspace.js';
import { isMemberCommand, MemberTable } from './members.js';
import type { Reply } from '../resp/reply.js';
import { WATCH_ABORTED, watchesHold } from './watch.js';

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
}

export class KvStateMachine implements StateMachine<KvBatch, Uint8Array> {
  keyspace = new Keyspace();
  /** The latest leader time applied: expiry never runs backwards when leaders' clocks disagree. */
  lastAt = 0;
  lastApplied = 0;
  /** Where each member is (members.ts). */
  members = new MemberTable();
  private dedupe = new DedupeTable();

  constructor(private readonly hooks: KvStateMachineHooks) {}

  registerTransitionState(id: string | number, state: TransitionState, reason?: AbandonedReason): void {
    if (state === 'abandoned') this.hooks.abandoned(String(id), reason);
  }

  applyTransition(batch: KvBatch, index = 0): void {
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

  createSnapshot(lastIncludedIndex: number, lastIncludedTerm: number): Snapshot<Uint8Array> {
    const table = this.dedupe.toNumbers();
    const members = this.members.serialize();
    const membersAt = 17 + 8 * table.length;
    const header = membersAt + 4 + members.length;
    const data = this.keyspace.serialize(header); // the key space after room for this header
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    view.setUint32(0, SNAPSHOT_MAGIC);
    data[4] = SNAPSHOT_VERSION;
    view.setFloat64(5, this.lastAt);
    view.setUint32(13, table.length);
    for (let i = 0; i < table.length; i++) view.setFloat64(17 + 8 * i, table[i]!);
    view.setUint32(membersAt, members.length);
    data.set(members, membersAt + 4);
    return { lastIncludedIndex, lastIncludedTerm, data };
  }

  /**
   * A snapshot's bytes as the start of a NEW cluster (a restored backup): the same key space, with
   * no dedupe table (the old cluster's nodes and their batches mean nothing there; kept, they would
   * make the new nodes' first batches look like duplicates) and no member table (each new member
   * records its own addresses). Every member restored from the file derives the same bytes.
   */
  static forNewCluster(data: Uint8Array): Uint8Array {
    const machine = new KvStateMachine({ applied() {}, abandoned() {}, pending: () => [], restored() {} });
    machine.setSnapshot({ lastIncludedIndex: 0, lastIncludedTerm: 0, data }); // validates it all
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

  setSnapshot(snapshot: Snapshot<Uint8Array>): void {
    const data = snapshot.data;
    if (!(data instanceof Uint8Array) || data.length < 17) throw new Error('KV snapshot: too short');
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (view.getUint32(0) !== SNAPSHOT_MAGIC) throw new Error('KV snapshot: not a little-raft KV snapshot');
    const version = data[4];
    if (version !== SNAPSHOT_VERSION && version !== SNAPSHOT_VERSION_NO_MEMBERS) {
      throw new Error(`KV snapshot: unknown version ${version}`);
    }
    const lastAt = view.getFloat64(5);
    const count = view.getUint32(13);
    let header = 17 + 8 * count;
    if (header > data.length) throw new Error(`KV snapshot: a dedupe table of ${count} numbers does not fit`);
    const table = new Array<number>(count);
    for (let i = 0; i < count; i++) table[i] = view.getFloat64(17 + 8 * i);
    let members = new MemberTable();
    if (version === SNAPSHOT_VERSION) {
      if (header + 4 > data.length) throw new Error('KV snapshot: the member table does not fit');
      const length = view.getUint32(header);
      if (header + 4 + length > data.length)
        throw new Error(`KV snapshot: a member table of ${length} bytes does not fit`);
      if (length > 0) members = MemberTable.parse(data.subarray(header + 4, header + 4 + length));
      header += 4 + length;
    }
    // Parse everything before replacing anything: a bad snapshot leaves the state as it was.
    const dedupe = DedupeTable.fromNumbers(table);
    const keyspace = Keyspace.restore(data.subarray(header));
    keyspace.events = this.keyspace.events;
    this.keyspace = keyspace;
    this.dedupe = dedupe;
    this.members = members;
    this.lastAt = Number.isFinite(lastAt) ? lastAt : 0;
    this.lastApplied = snapshot.lastIncludedIndex;
    this.hooks.restored(snapshot.lastIncludedIndex);
    this.hooks.membersChanged?.();
  }
}
