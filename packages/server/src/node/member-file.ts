// A local copy of the replicated member table in the data directory (members.json), rewritten
// whenever the table changes. At a restart the table in the state is only as new as the last
// snapshot until the leader's commit index arrives, and a member added since may be the very one
// this node must reach to hear it: the copy says where every member was when this node stopped.
//
// The copy records the applied index it holds the table of, and is not replaced by an older table:
// the snapshot a restart loads, and the log replayed after it, would otherwise overwrite it with
// what the node knew before, and a second restart (the leader still out of reach) would have lost it.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { replaceFileDurably } from 'little-raft/disk';
import type { MemberTable } from '../store/members.js';

const FILE = 'members.json';

/** What the last copy says: the applied index it was written at, and Raft addresses by id. */
export interface MemberFile {
  index: number;
  addresses: Map<number, string>;
}

/** The last copy, or an index of 0 and no addresses when there is none or it is unreadable. */
export async function readMemberFile(dir: string): Promise<MemberFile> {
  const out: MemberFile = { index: 0, addresses: new Map() };
  let value: unknown;
  try {
    value = JSON.parse(await readFile(join(dir, FILE), 'utf8'));
  } catch {
    return out; // absent (a new node) or torn: the cluster tells this node again
  }
  // { index, members } (an early copy was the bare list of rows, of no known index).
  let rows = value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const v = value as { index?: unknown; members?: unknown };
    rows = v.members;
    if (Number.isSafeInteger(v.index) && (v.index as number) > 0) out.index = v.index as number;
  }
  if (!Array.isArray(rows)) return { index: 0, addresses: out.addresses };
  for (const row of rows as unknown[]) {
    if (!Array.isArray(row)) continue;
    const [id, a] = row as [unknown, { raft?: unknown } | null];
    if (Number.isSafeInteger(id) && a !== null && typeof a === 'object' && typeof a.raft === 'string') {
      out.addresses.set(id as number, a.raft);
    }
  }
  return out;
}

/** Writes the table's copy, one write at a time, the newest table last. */
export class MemberFileWriter {
  /** The write under way, if any. */
  private writing: Promise<void> | null = null;
  private again = false;
  private closed = false;

  /**
   * `applied`: the index the table is at; `since`: the index of the copy there (readMemberFile),
   * below which a table is older than the copy and not written.
   */
  constructor(
    private readonly dir: string,
    private readonly table: () => MemberTable,
    private readonly applied: () => number,
    private readonly since: number,
    private readonly warn: (message: string) => void,
  ) {}

  changed(): void {
    if (this.closed || this.applied() < this.since) return;
    if (this.writing !== null) {
      this.again = true;
      return;
    }
    const members = Buffer.from(this.table().serialize()).toString('utf8');
    const text = `{"index":${this.applied()},"members":${members}}\n`;
    this.writing = replaceFileDurably(join(this.dir, FILE), text)
      .catch((e: unknown) => this.warn(`cannot write ${FILE}: ${(e as Error).message}`))
      .finally(() => {
        this.writing = null;
        if (this.again) {
          this.again = false;
          this.changed();
        }
      });
  }

  /** Finishes the write under way (and the one it owes), then writes no more: the node is stopping. */
  async close(): Promise<void> {
    while (this.writing !== null) await this.writing;
    this.closed = true;
  }
}
