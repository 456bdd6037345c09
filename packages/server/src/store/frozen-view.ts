// A key space as it was at one moment, read in slices while writes go on: what a snapshot is
// taken from without stopping the node (copy-on-write, in the spirit of Redis's fork).
//
// The view walks the live key map (a Map iterator sees later insertions and skips deletions).
// Before any change to a key the snapshot has not written yet, the key space calls save(): the
// view keeps the key's value and expiry as they were (collections copied, strings shared: they
// are immutable). A saved key is written from what was saved, wherever the walk meets it, or at
// the end if the walk never does (it was deleted); a key that did not exist at the moment is
// saved as absent and left out. `told` remembers the keys written, so each is written once even
// when deleted and added again (which moves it to the end of the map).

import { copyValue, type Value } from './values.js';
import type { KeyVersions } from './keyspace-snapshot.js';

interface SavedKey {
  value: Value | undefined;
  expireAt: number | undefined;
}

/** What a view tells of each key: its value and expiry at the view's moment. */
export type KeyVisitor = (key: string, value: Value, expireAt: number | undefined) => void;

export class FrozenView {
  private readonly saved = new Map<string, SavedKey>();
  private readonly told = new Set<string>();
  private readonly keys: IterableIterator<string>;
  private savedKeys: IterableIterator<[string, SavedKey]> | null = null;
  /** The key space replaced its maps (FLUSHDB): nothing changes these any more. */
  private detached = false;

  constructor(
    /** The key space's clock at the moment: keys expired by then are left out. */
    readonly clock: number,
    private readonly values: ReadonlyMap<string, Value>,
    private readonly expires: ReadonlyMap<string, number>,
    /** The WATCH versions at the moment (the current generation copied, the older one never changes). */
    readonly versions: KeyVersions,
  ) {
    this.keys = values.keys();
  }

  /** Keys saved so far (for tests and metrics): what writes during the snapshot cost in copies. */
  get savedCount(): number {
    return this.saved.size;
  }

  /** `key` is about to change: keeps what it is now unless the snapshot already has it. */
  save(key: string): void {
    if (this.detached || this.saved.has(key) || this.told.has(key)) return;
    const value = this.values.get(key);
    this.saved.set(key, {
      value: value === undefined || typeof value === 'string' ? value : copyValue(value),
      expireAt: this.expires.get(key),
    });
  }

  /** The key space dropped these maps for new ones (FLUSHDB): they stay as they are, saves stop. */
  detach(): void {
    this.detached = true;
  }

  /** Tells `visit` the next key of the view; false once every key was told. */
  next(visit: KeyVisitor): boolean {
    for (;;) {
      if (this.savedKeys === null) {
        const r = this.keys.next();
        if (r.done === true) {
          this.savedKeys = this.saved.entries();
          continue;
        }
        const key = r.value;
        if (this.told.has(key)) continue;
        this.told.add(key);
        const saved = this.saved.get(key);
        if (saved !== undefined) {
          if (this.tell(visit, key, saved.value, saved.expireAt)) return true;
          continue;
        }
        if (this.tell(visit, key, this.values.get(key), this.expires.get(key))) return true;
        continue;
      }
      const r = this.savedKeys.next();
      if (r.done === true) return false;
      const [key, saved] = r.value;
      if (this.told.has(key)) continue;
      this.told.add(key);
      if (this.tell(visit, key, saved.value, saved.expireAt)) return true;
    }
  }

  private tell(visit: KeyVisitor, key: string, value: Value | undefined, expireAt: number | undefined): boolean {
    if (value === undefined || (expireAt !== undefined && expireAt <= this.clock)) return false;
    visit(key, value, expireAt);
    return true;
  }
}
