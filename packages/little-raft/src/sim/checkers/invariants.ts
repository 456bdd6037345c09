import type { Raft } from '../../core/raft.js';
import type { LogEntry } from '../../core/types.js';
import { coreOf } from '../../driver/replica.js';
import type { SimNode, Tx } from '../cluster.js';
import type { SimKernel } from '../kernel.js';
import type { SimWorkload } from '../workload.js';

type Core = Readonly<Raft<Tx, Uint8Array>>;

const configKeys = new WeakMap<LogEntry<Tx>, string>();

/** What an entry holds, as a string: a transition's id, or a configuration's members. */
function entryKey(e: LogEntry<Tx>): string {
  if (e.transition) return String(e.transition.id);
  let key = configKeys.get(e);
  if (key === undefined) configKeys.set(e, (key = 'config:' + JSON.stringify(e.config)));
  return key;
}

/**
 * Raft's safety properties, checked after every event on what changed since the last check
 * (election safety, log matching, leader append-only, commit monotonic, leader completeness),
 * state machine safety and snapshot agreement as they happen, and liveness at the end.
 */
export class InvariantChecker {
  private readonly leaderOfTerm = new Map<number, number>();
  private readonly entryAt = new Map<string, string>();
  private readonly prevTermAt = new Map<string, number>();
  private readonly committed: string[] = [];
  /** The highest index seen committed. */
  maxCommitted = 0;
  /** The term in which each committed entry was first seen committed (by its leader). */
  private readonly commitTerm: number[] = [];
  private readonly appliedAt: string[] = [];
  private readonly snapshotAt = new Map<number, string>();

  constructor(private readonly kernel: SimKernel) {}

  /** How many terms had a leader. */
  get leaders(): number {
    return this.leaderOfTerm.size;
  }

  /** State machine safety: every replica applies the same transition at an index. */
  applied(node: SimNode, index: number, t: Tx): void {
    const id = String(t.id);
    const seen = this.appliedAt[index];
    if (seen === undefined) this.appliedAt[index] = id;
    else if (seen !== id)
      this.kernel.fail(`state machine safety: n${node.id} applied ${id} at ${index}, others applied ${seen}`);
  }

  /** Snapshots of an index agree, byte for byte. */
  snapshot(index: number, data: Uint8Array): void {
    const text = new TextDecoder().decode(data);
    const seen = this.snapshotAt.get(index);
    if (seen === undefined) this.snapshotAt.set(index, text);
    else if (seen !== text) this.kernel.fail(`snapshots at index ${index} differ`);
  }

  /** The safety invariants, after an event. */
  check(nodes: readonly SimNode[]): void {
    for (const node of nodes) {
      if (node.failure) this.kernel.fail(`n${node.id} threw: ${node.failure.message}`);
      if (!node.up) continue;
      const core = coreOf(node.replica);
      if (!core) continue;
      this.checkLeader(node, core);
      this.checkLog(node, core);
      this.checkCommit(node, core);
      this.checkLeaderCompleteness(node, core);
    }
  }

  /** Election safety: at most one leader per term, and a leader outside C(new) only until C(new) is committed. */
  private checkLeader(node: SimNode, core: Core): void {
    if (core.role !== 'leader') return;
    const voter = core.config.voters.includes(node.id) || core.config.outgoing.includes(node.id);
    if (!voter && core.configIndex <= core.commit)
      this.kernel.fail(`n${node.id} leads term ${core.term} as a non-voter`);
    const other = this.leaderOfTerm.get(core.term);
    if (other === undefined) {
      this.leaderOfTerm.set(core.term, node.id);
      this.kernel.record({
        kind: 'elected',
        node: node.id,
        term: core.term,
        text: `n${node.id} leads term ${core.term}`,
      });
    } else if (other !== node.id)
      this.kernel.fail(`election safety: n${other} and n${node.id} both lead term ${core.term}`);
  }

  /** Leader append-only and log matching, checked on what changed since last time. */
  private checkLog(node: SimNode, core: Core): void {
    const log = core.log;
    let from = node.verified;
    const truncated =
      from > log.lastIndex || (from > log.snapshotIndex && entryKey(log.entry(from)) !== node.verifiedKey);
    if (truncated) {
      if (core.role === 'leader' && node.leaderTerm === core.term) {
        this.kernel.fail(`leader append-only: leader n${node.id} of term ${core.term} lost entry ${from}`);
      }
      from = log.snapshotIndex;
    }
    if (from < log.snapshotIndex) from = log.snapshotIndex;
    for (let i = from + 1; i <= log.lastIndex; i++) {
      const e = log.entry(i);
      const slot = `${i}:${e.term}`;
      const key = entryKey(e);
      const prevTerm = log.term(i - 1) ?? -1;
      const known = this.entryAt.get(slot);
      if (known === undefined) {
        this.entryAt.set(slot, key);
        this.prevTermAt.set(slot, prevTerm);
      } else if (known !== key) {
        this.kernel.fail(`log matching: index ${i} term ${e.term} holds ${known} and ${key} (n${node.id})`);
      } else {
        const expected = this.prevTermAt.get(slot)!;
        if (expected === -1) this.prevTermAt.set(slot, prevTerm);
        else if (prevTerm !== -1 && prevTerm !== expected) {
          this.kernel.fail(
            `log matching: entry ${i}/${e.term} follows term ${prevTerm} on n${node.id}, ${expected} elsewhere`,
          );
        }
      }
    }
    node.verified = log.lastIndex;
    node.verifiedKey = log.lastIndex > log.snapshotIndex ? entryKey(log.entry(log.lastIndex)) : '';
  }

  /** Commit index never decreases; committed entries never change. */
  private checkCommit(node: SimNode, core: Core): void {
    const log = core.log;
    if (core.commit < node.commitSeen)
      this.kernel.fail(`n${node.id} commit index went back from ${node.commitSeen} to ${core.commit}`);
    for (let i = Math.max(node.commitSeen, log.snapshotIndex) + 1; i <= core.commit; i++) {
      const key = entryKey(log.entry(i));
      const known = this.committed[i];
      if (known === undefined) {
        this.committed[i] = key;
        this.commitTerm[i] = core.term;
        if (i > this.maxCommitted) this.maxCommitted = i;
        if (this.kernel.tracing) {
          const term = log.term(i) ?? core.term;
          const text = `entry ${i} (${key}, term ${term}) committed`;
          this.kernel.record({ kind: 'commit', node: node.id, index: i, term, entry: key, text });
        }
      } else if (known !== key) this.kernel.fail(`committed entry ${i} is ${known}, but n${node.id} committed ${key}`);
    }
    node.commitSeen = core.commit;
  }

  /**
   * Leader completeness: a leader holds every entry committed in its term or an earlier one.
   * (A stale candidate can still win a lower term late, through delayed votes: it owes nothing
   * to entries that later terms committed.)
   */
  private checkLeaderCompleteness(node: SimNode, core: Core): void {
    if (core.role !== 'leader' || node.leaderTerm === core.term) return;
    const log = core.log;
    node.leaderTerm = core.term;
    for (let i = log.snapshotIndex + 1; i <= this.maxCommitted; i++) {
      const key = this.committed[i];
      if (key === undefined || this.commitTerm[i]! > core.term) continue;
      if (i > log.lastIndex || entryKey(log.entry(i)) !== key) {
        this.kernel.fail(`leader completeness: n${node.id} leads term ${core.term} without committed entry ${i}`);
      }
    }
  }

  /**
   * Liveness, once the faults have healed and the clients stopped: one leader that every member
   * follows, everything committed and applied, no client left waiting, no acknowledged write lost,
   * and (when the workload can describe its state) every member in the same state.
   */
  checkLiveness(
    nodes: readonly SimNode[],
    settleTime: number,
    clients: { pending: ReadonlyMap<string, unknown>; acknowledged: ReadonlyMap<string, number> },
    workload: SimWorkload<Tx>,
  ): void {
    const fail: (message: string) => never = (message) => this.kernel.fail(message);
    // The newest leader, and its configuration's members: replicas removed from the configuration
    // may stop anywhere (even idle in a higher term, as etcd's do); members must all follow it.
    const all = nodes.map((n) => coreOf(n.replica)!);
    const leader = all.filter((c) => c.role === 'leader').sort((a, b) => b.term - a.term)[0];
    if (!leader) fail(`liveness: no leader ${settleTime}ms after the faults healed`);
    const { voters, learners, outgoing } = leader.config;
    const memberIds = new Set([...voters, ...learners, ...outgoing]);
    // A member that lost its disk and was excluded waits for its operator: it follows nobody.
    const up = nodes.filter((n) => memberIds.has(n.id) && !n.replica.status().identity?.excluded);
    const cores = up.map((n) => coreOf(n.replica)!);
    for (const c of cores) {
      if (c !== leader && (c.role === 'leader' || c.term > leader.term || c.leaderId !== leader.id)) {
        fail(`liveness: member n${c.id} (term ${c.term}) does not follow leader n${leader.id} (term ${leader.term})`);
      }
    }
    if (leader.commit < leader.log.lastIndex) fail(`liveness: leader n${leader.id} has uncommitted entries`);
    for (const c of cores) {
      if (c.applied !== leader.commit)
        fail(`liveness: n${c.id} applied ${c.applied}, leader committed ${leader.commit}`);
    }
    if (clients.pending.size > 0) fail(`liveness: ${clients.pending.size} client operations still pending`);
    // No acknowledged write lost: every replica's state machine holds what was acknowledged.
    for (const [id, index] of clients.acknowledged) {
      if (this.appliedAt[index] !== id) fail(`acknowledged ${id} at ${index} was lost`);
    }
    const describe = workload.describe?.bind(workload);
    if (describe) {
      const states = up.map((n) => describe(n.machine.inner));
      if (new Set(states).size !== 1) fail('replicas ended with different state machine states');
    }
  }
}
