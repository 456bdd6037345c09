import type { Raft } from '../core/raft.js';
import { isVoter } from '../core/quorum.js';
import type { Membership, StateMachineTransition } from '../core/types.js';
import { NotLeaderError } from '../encoding/errors.js';
import {
  sameMembers,
  sameMembership,
  targetMembership,
  withNewVotersAsLearners,
  type MembershipChange,
} from './membership.js';
import type { Condition } from './waiters.js';

/** What a membership change needs of its replica. */
export interface ReplicaSteps<T extends StateMachineTransition, D> {
  /** The core while the replica runs; null before it has started and once it has stopped. */
  live(): Raft<T, D> | null;
  /** Why an operation on a replica not running fails. */
  stoppedError(): Error;
  /** Settles once `check` holds (see Waiters), or rejects after `electionTimeouts` election timeouts. */
  waitFor(check: Condition, timeoutMessage: string, electionTimeouts?: number): Promise<void>;
  /** Runs the replica soon. */
  schedule(): void;
}

/** Membership changes with joint consensus, one at a time, led by this replica. */
export class MembershipChanges<T extends StateMachineTransition, D> {
  private changing = false;

  constructor(private readonly replica: ReplicaSteps<T, D>) {}

  /** See {@link Replica.changeMembership}. */
  async change(change: MembershipChange): Promise<void> {
    const target = targetMembership(change);
    const core = this.replica.live();
    if (!core) throw this.replica.stoppedError();
    if (core.role !== 'leader') throw new NotLeaderError(core.leaderId);
    // A joint or uncommitted configuration inherited from an earlier leader is a change in
    // progress too: a target computed from it (its voters include the outgoing ones) would undo it.
    if (this.changing || core.config.outgoing.length > 0 || core.configIndex > core.commit) {
      throw new Error('changeMembership: another membership change is in progress');
    }
    this.changing = true;
    try {
      const learnersFirst = withNewVotersAsLearners(core.config, target);
      if (learnersFirst) await this.commitConfig(core, learnersFirst);
      const added = target.voters.filter((id) => !isVoter(core.config, id));
      const upTo = core.commit;
      await this.replica.waitFor(
        () => leading(core) ?? added.every((id) => core.matchIndex(id) >= upTo),
        `changeMembership: new voters ${added.join(', ')} did not catch up`,
        20,
      );
      const current = core.config;
      if (sameMembers(current.voters, target.voters)) {
        if (!sameMembership(current, target)) await this.commitConfig(core, target);
        return;
      }
      await this.commitConfig(core, { ...target, outgoing: current.voters });
      // Once the joint configuration is committed the leader appends the final one itself.
      await this.replica.waitFor(
        () => (sameMembership(core.config, target) && core.configIndex <= core.commit) || leading(core) || false,
        'changeMembership: the final configuration was not committed in time',
      );
    } finally {
      this.changing = false;
    }
  }

  /** Proposes `config` (retrying while another change is pending) and waits until it is committed. */
  private commitConfig(core: Raft<T, D>, config: Membership): Promise<void> {
    let index = 0;
    return this.replica.waitFor(() => {
      const lost = leading(core);
      if (lost) return lost;
      if (index === 0) {
        index = core.proposeConfig(config);
        if (index > 0) this.replica.schedule();
        return false;
      }
      return core.commit >= index;
    }, 'changeMembership: a configuration entry was not committed in time');
  }
}

/** null while `core` leads; the error to reject with once it does not. */
function leading<T extends StateMachineTransition, D>(core: Raft<T, D>): NotLeaderError | null {
  return core.role === 'leader' ? null : new NotLeaderError(core.leaderId, 'leadership lost during the operation');
}
