// The cluster's members as the replicated state knows them: each one's Raft, Redis and HTTP
// addresses, so every node (and every node that joins later, through the log or a snapshot) knows
// how to reach every other, and where its clients and operators should go. Raft's own
// configuration (who votes, who learns) stays the library's; this table only says where they are.
//
// It changes through an internal command in an ordinary batch, which clients cannot send (it is not
// in the command table): MEMBER_COMMAND SET <id> <raft> <redis> <http> (empty: unknown) | DEL <id>.

import { ErrorReply, type Reply } from '../resp/reply.js';

const MEMBER_COMMAND = 'LITTLE-RAFT.MEMBER';
const NAME = Buffer.from(MEMBER_COMMAND, 'latin1');

export interface MemberAddresses {
  readonly raft: string;
  /** Redis-protocol address, or null while the member has not said. */
  readonly redis: string | null;
  /** HTTP (operations) address, or null while the member has not said. */
  readonly http: string | null;
}

const OK = Buffer.from('OK');

/** Whether `argv` is the internal member command (cheap: a length check settles most commands). */
export function isMemberCommand(argv: readonly Uint8Array[]): boolean {
  const name = argv[0];
  return name !== undefined && name.length === NAME.length && Buffer.from(name).equals(NAME);
}

/** The command that records `id`'s addresses. */
export function memberSetCommand(id: number, a: MemberAddresses): Uint8Array[] {
  return [NAME, 'SET', String(id), a.raft, a.redis ?? '', a.http ?? ''].map((s) =>
    typeof s === 'string' ? Buffer.from(s, 'latin1') : s,
  );
}

/** The command that forgets member `id`. */
export function memberDelCommand(id: number): Uint8Array[] {
  return [NAME, Buffer.from('DEL'), Buffer.from(String(id))];
}

export class MemberTable {
  private readonly byId = new Map<number, MemberAddresses>();

  get size(): number {
    return this.byId.size;
  }

  get(id: number): MemberAddresses | undefined {
    return this.byId.get(id);
  }

  entries(): [number, MemberAddresses][] {
    return [...this.byId].sort((a, b) => a[0] - b[0]);
  }

  /** Applies a member command; Redis-style reply (an error for a malformed one, changing nothing). */
  apply(argv: readonly Uint8Array[]): Reply {
    const text = argv.map((a) => Buffer.from(a).toString('latin1'));
    const id = Number(text[2]);
    if (!Number.isSafeInteger(id) || id <= 0) return new ErrorReply('ERR bad member id');
    if (text[1] === 'SET' && text.length === 6 && text[3] !== '') {
      this.byId.set(id, { raft: text[3]!, redis: text[4] || null, http: text[5] || null });
      return OK;
    }
    if (text[1] === 'DEL' && text.length === 3) {
      this.byId.delete(id);
      return OK;
    }
    return new ErrorReply('ERR malformed member command');
  }

  /** The table as bytes for a snapshot. */
  serialize(): Uint8Array {
    return Buffer.from(JSON.stringify(this.entries()), 'utf8');
  }

  /** Parses what serialize wrote; throws on anything else (snapshot bytes are untrusted). */
  static parse(bytes: Uint8Array): MemberTable {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      throw new Error('KV snapshot: the member table is not valid JSON');
    }
    if (!Array.isArray(value)) throw new Error('KV snapshot: the member table is not a list');
    const table = new MemberTable();
    const address = (v: unknown): v is string | null => v === null || typeof v === 'string';
    for (const row of value as unknown[]) {
      const [id, a] = Array.isArray(row) ? (row as [unknown, Partial<Record<string, unknown>> | null]) : [];
      if (!Number.isSafeInteger(id) || (id as number) <= 0 || a === null || typeof a !== 'object') {
        throw new Error('KV snapshot: a malformed member table row');
      }
      if (typeof a.raft !== 'string' || !address(a.redis) || !address(a.http)) {
        throw new Error(`KV snapshot: member ${String(id)} has malformed addresses`);
      }
      table.byId.set(id as number, { raft: a.raft, redis: a.redis, http: a.http });
    }
    return table;
  }
}
