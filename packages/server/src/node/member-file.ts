// A local copy of the replicated member table in the data directory (members.json), rewritten
// whenever the table changes. At a restart the table in the state is only as new as the last
// snapshot until the leader's commit index arrives, and a member added since may be the very one
// this node must reach to hear it: the copy says where every member was when this node stopped.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { replaceFileDurably } from 'little-raft/disk';
import type { MemberTable } from '../store/members.js';

const FILE = 'members.json';

/** Raft addresses by id from the last copy, or an empty map when there is none or it is unreadable. */
export async function readMemberFile(dir: string): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let rows: unknown;
  try {
    rows = JSON.parse(await readFile(join(dir, FILE), 'utf8'));
  } catch {
    return out; // absent (a new node) or torn: the cluster tells this node again
  }
  if (!Array.isArray(rows)) return out;
  for (const row of rows as unknown[]) {
    if (!Array.isArray(row)) continue;
    const [id, a] = row as [unknown, { raft?: unknown } | null];
    if (Number.isSafeInteger(id) && a !== null && typeof a === 'object' && typeof a.raft === 'string') {
      out.set(id as number, a.raft);
    }
  }
  return out;
}

/** Writes the table's copy, one write at a time, the newest table last. */
export class MemberFileWriter {
  private writing = false;
  private again = false;

  constructor(
    private readonly dir: string,
    private readonly table: () => MemberTable,
    private readonly warn: (message: string) => void,
  ) {}

  changed(): void {
    if (this.writing) {
      this.again = true;
      return;
    }
    this.writing = true;
    const text = Buffer.from(this.table().serialize()).toString('utf8') + '\n';
    replaceFileDurably(join(this.dir, FILE), text)
      .catch((e: unknown) => this.warn(`cannot write ${FILE}: ${(e as Error).message}`))
      .finally(() => {
        this.writing = false;
        if (this.again) {
          this.again = false;
          this.changed();
        }
      });
  }
}
