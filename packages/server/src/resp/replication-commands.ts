// ROLE and WAIT: Redis's replication commands, answered from the node's Raft status. Offsets are
// log indexes. The leader is the master; the other members are its replicas.
//
// WAIT numreplicas timeout counts the other members known to hold this node's last applied entry
// (so every write this connection was answered before WAIT): on the leader, the followers whose
// match index has reached it; on a follower, which cannot see the others' logs, the members a
// commit needs besides itself (floor(voters / 2)), since whatever it applied was committed.

import { INT64_MAX, parseInt64Arg } from '../commands/args.js';
import type { KvNode } from '../node/node.js';
import type { Classified } from './classified.js';
import { ERR_NOT_INTEGER } from './error-replies.js';
import { ErrorReply, type Reply } from './reply.js';

/** How often a blocked WAIT looks at the followers' progress again. */
const WAIT_POLL_MS = 10;

function bulk(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** 'host:port' split at its last colon. */
function hostPort(address: string | undefined): [string, string] {
  if (address === undefined) return ['', '0'];
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), address.slice(colon + 1)];
}

/**
 * ROLE: ["master", offset, [[host, port, offset] ...]] on the leader (its connected followers), or
 * ["slave", leader host, leader port, state, offset] elsewhere. Addresses are Raft addresses.
 */
export function roleReply(node: KvNode): Reply {
  const status = node.status();
  const connected = new Set(node.connectedPeers());
  if (status?.role === 'leader') {
    const replicas: Reply[] = [];
    for (const [id, match] of Object.entries(status.matchIndex)) {
      if (!connected.has(Number(id))) continue;
      const [host, port] = hostPort(node.peerAddress(Number(id)));
      replicas.push([bulk(host), bulk(port), bulk(String(match))]);
    }
    return [bulk('master'), status.lastLogIndex, replicas];
  }
  const leader = status?.leaderId ?? null;
  if (status === null || leader === null) return [bulk('slave'), bulk(''), 0, bulk('connect'), -1];
  const [host, port] = hostPort(node.peerAddress(leader));
  const state = connected.has(leader) ? 'connected' : 'connect';
  return [bulk('slave'), bulk(host), Number(port), bulk(state), status.lastLogIndex];
}

/** How many other members are known to hold the entry at log index `target`. */
function acked(node: KvNode, target: number): number {
  const status = node.status();
  if (status === null) return 0;
  if (status.role !== 'leader') return Math.floor(status.voters.length / 2);
  let n = 0;
  for (const match of Object.values(status.matchIndex)) if (match >= target) n++;
  return n;
}

/**
 * WAIT numreplicas timeout (ms, 0: no limit). `blocking` false (in a transaction) answers at once, as
 * Redis does; `alive` turns false when the client is gone, which ends the wait.
 */
export function waitCommand(
  node: KvNode,
  argv: readonly Uint8Array[],
  blocking: boolean,
  alive: () => boolean,
): Classified {
  const reply = (r: Reply): Classified => ({ kind: 'reply', reply: r });
  const wanted = parseInt64Arg(argv[1]!);
  if (wanted === null) return reply(ERR_NOT_INTEGER);
  const timeout = parseInt64Arg(argv[2]!);
  if (timeout === null) return reply(new ErrorReply('ERR timeout is not an integer or out of range'));
  if (timeout < 0) return reply(new ErrorReply('ERR timeout is negative'));
  const now = Date.now();
  if (timeout > 0 && BigInt(timeout) > INT64_MAX - BigInt(now)) {
    return reply(new ErrorReply('ERR timeout is out of range'));
  }
  if (!blocking) return { kind: 'late', answer: () => acked(node, node.machine.lastApplied) };
  return {
    kind: 'async',
    run: async () => {
      // This command's turn: every earlier command of the connection is answered, so applied here.
      const target = node.machine.lastApplied;
      const deadline = timeout === 0 ? Infinity : Date.now() + Number(timeout);
      for (;;) {
        const n = acked(node, target);
        const left = deadline - Date.now();
        if (n >= wanted || left <= 0 || !alive()) return n;
        await new Promise((resolve) => setTimeout(resolve, Math.min(WAIT_POLL_MS, left)));
      }
    },
  };
}
