// A key space as it was at one moment, read in slices while writes go on: what a snapshot is
// taken from without stopping the node (copy-on-write, in the spirit of Redis's fork).
//
// The view walks the key map a shard at a time (sharded-map.ts), each shard with a live Map
// iterator (it sees later insertions and skips deletions). Before any change to a key the
// snapshot has not written yet, the key space calls save(): the view keeps the key's value and
// expiry as they were (collections copied, strings shared: they are immutable). A saved key is
// written from what was saved, when the walk meets it or at the end if it never does (it was
// deleted); a key that did not exist at the moment is saved as absent and left out. Which keys
// were written is known without remembering them all: every key of a shard the walk has left,
// the keys written in the shard it is in (a set as large as a shard), and saved keys marked.

import { SHARDS, shardOf, type KeyMap } from './sharded-map.js';
import { copyValue, type Value } from './values.js';
import type { KeyVersions } from './keyspace-snapshot.js';

interface SavedKey {
  value: Value | undefined;
  expireAt: number | undefined;
  written: boolean;
}

/** What a view tells of each key: its value and expiry at the view's moment. */
export type KeyVisitor = (key: string, value: Value, expireAt: number | undefined) => void;

export class FrozenView {
  private readonly saved = new Map<string, SavedKey>();
  /** The shard the walk is in (SHARDS once it is past the last), its iterator and what it wrote there. */
  private shard = 0;
  private keys: IterableIterator<string>;
  private readonly writtenHere = new Set<string>();
  private savedKeys: IterableIterator<[string, SavedKey]> | null = null;
  /** The key space replaced its maps (FLUSHDB): nothing changes these any more. */
  private detached = false;

  constructor(
    /** The key space's clock at the moment: keys expired by then are left out. */
    readonly clock: number,
    private readonly values: KeyMap<Value>,
    private readonly expires: KeyMap<number>,
    /** The WATCH versions at the moment (the current generation copied, the older one never changes). */
    readonly versions: KeyVersions,
  ) {
    this.keys = values.shard(0).keys();
  }

  /** Keys saved so far (for the logs): what writes during the snapshot cost in copies. */
  get savedCount(): number {
    return this.saved.size;
  }

  /** `key` is about to change: keeps what it is now unless the snapshot already has it. */
  save(key: string): void {
    if (this.detached || this.saved.has(key)) return;
    const shard = shardOf(key);
    if (shard < this.shard || (shard === this.shard && this.writtenHere.has(key))) return;
    const value = this.values.get(key);
    this.saved.set(key, {
      value: value === undefined || typeof value === 'string' ? value : copyValue(value),
      expireAt: this.expires.get(key),
      written: false,
    });
  }

  /** The key space dropped these maps for new ones (FLUSHDB): they stay as they are, saves stop. */
  detach(): void {
    this.detached = true;
  }

  /** Tells `visit` the next key of the view; false once every key was told. */
  next(visit: KeyVisitor): boolean {
    while (this.shard < SHARDS) {
      const r = this.keys.next();
      if (r.done === true) {
        this.shard++;
        this.writtenHere.clear();
        if (this.shard < SHARDS) this.keys = this.values.shard(this.shard).keys();
        continue;
      }
      const key = r.value;
      if (this.writtenHere.has(key)) continue; // deleted and added again: met twice in this shard
      this.writtenHere.add(key);
      const saved = this.saved.get(key);
      if (saved !== undefined) {
        if (saved.written) continue;
        saved.written = true;
        if (this.tell(visit, key, saved.value, saved.expireAt)) return true;
        continue;
      }
      if (this.tell(visit, key, this.values.get(key), this.expires.get(key))) return true;
    }
    this.savedKeys ??= this.saved.entries();
    for (let r = this.savedKeys.next(); r.done !== true; r = this.savedKeys.next()) {
      const [key, saved] = r.value;
      if (saved.written) continue;
      saved.written = true;
      if (this.tell(visit, key, saved.value, saved.expireAt)) return true;
    }
    return false;
  }

  private tell(visit: KeyVisitor, key: string, value: Value | undefined, expireAt: number | undefined): boolean {
    if (value === undefined || (expireAt !== undefined && expireAt <= this.clock)) return false;
    visit(key, value, expireAt);
    return true;
  }
}
