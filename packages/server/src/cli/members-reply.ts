// The reply of GET /admin/members, checked (it comes over the network) and printed as a table.

import { AdminRequestError } from './admin-client.js';

const ROLES = ['leader', 'follower', 'learner', 'candidate', 'down'] as const;

export interface MemberRow {
  id: number;
  raft: string;
  redis: string | null;
  http: string | null;
  role: (typeof ROLES)[number];
  /** Known only when the leader answered. */
  matchIndex: number | null;
  lag: number | null;
  connected: boolean;
}

export interface MembersReply {
  leaderId: number | null;
  /** A membership change is under way. */
  changing: boolean;
  members: MemberRow[];
}

/** The reply as a MembersReply, or an error naming what is wrong with it. */
export function parseMembersReply(body: unknown, node: string): MembersReply {
  const bad = (what: string): AdminRequestError =>
    new AdminRequestError(`node ${node} answered GET /admin/members with an unexpected reply: ${what}`);
  const reply = body as Partial<Record<keyof MembersReply, unknown>> | null;
  if (typeof reply !== 'object' || reply === null) throw bad('not an object');
  if (!isId(reply.leaderId) && reply.leaderId !== null) throw bad('leaderId is not a node id or null');
  if (typeof reply.changing !== 'boolean') throw bad('changing is not true or false');
  if (!Array.isArray(reply.members)) throw bad('members is not an array');
  const members = reply.members.map((m: unknown, i): MemberRow => {
    const row = m as Partial<Record<keyof MemberRow, unknown>> | null;
    if (typeof row !== 'object' || row === null) throw bad(`members[${i}] is not an object`);
    const check = (ok: boolean, field: string, what: string): void => {
      if (!ok) throw bad(`members[${i}].${field} is not ${what}`);
    };
    check(isId(row.id), 'id', 'a node id');
    check(typeof row.raft === 'string', 'raft', 'an address');
    check(typeof row.redis === 'string' || row.redis === null, 'redis', 'an address or null');
    check(typeof row.http === 'string' || row.http === null, 'http', 'an address or null');
    check(ROLES.includes(row.role as MemberRow['role']), 'role', `one of ${ROLES.join(', ')}`);
    check(isCount(row.matchIndex) || row.matchIndex === null, 'matchIndex', 'a log index or null');
    check(isCount(row.lag) || row.lag === null, 'lag', 'a number of entries or null');
    check(typeof row.connected === 'boolean', 'connected', 'true or false');
    // Exactly these fields, in this order: what `member list --json` prints.
    return {
      id: row.id as number,
      raft: row.raft as string,
      redis: row.redis as string | null,
      http: row.http as string | null,
      role: row.role as MemberRow['role'],
      matchIndex: row.matchIndex as number | null,
      lag: row.lag as number | null,
      connected: row.connected as boolean,
    };
  });
  return { leaderId: reply.leaderId, changing: reply.changing, members };
}

function isId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** One row per member under a header, columns padded to line up; '-' where a value is unknown. */
export function formatMembersTable(members: MemberRow[]): string {
  const header = ['ID', 'RAFT', 'REDIS', 'HTTP', 'ROLE', 'MATCH', 'LAG', 'CONNECTED'];
  const rows = [...members]
    .sort((a, b) => a.id - b.id)
    .map((m) => [
      String(m.id),
      m.raft,
      m.redis ?? '-',
      m.http ?? '-',
      m.role,
      m.matchIndex === null ? '-' : String(m.matchIndex),
      m.lag === null ? '-' : String(m.lag),
      m.connected ? 'yes' : 'no',
    ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
