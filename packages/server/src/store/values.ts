// The values a key can hold, one class per Redis type. Strings are plain latin1 strings (one char per
// byte), as are hash fields, list elements and set and sorted-set members: any bytes round-trip.

/** A hash: field -> value. */
export class HashValue extends Map<string, string> {}

/** A set of members. */
export class SetValue extends Set<string> {}

/**
 * A list: a ring buffer (a power-of-two array), so pushes and pops at either end cost O(1), and
 * LINDEX / LSET O(1).
 */
export class ListValue {
  private items: (string | undefined)[] = new Array<string | undefined>(8);
  private head = 0;
  length = 0;

  static of(elements: readonly string[]): ListValue {
    const list = new ListValue();
    for (const e of elements) list.pushBack(e);
    return list;
  }

  /** Element `i` (0-based from the head); i must be in [0, length). */
  at(i: number): string {
    return this.items[(this.head + i) & (this.items.length - 1)]!;
  }

  set(i: number, value: string): void {
    this.items[(this.head + i) & (this.items.length - 1)] = value;
  }

  pushBack(value: string): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) & (this.items.length - 1)] = value;
    this.length++;
  }

  pushFront(value: string): void {
    if (this.length === this.items.length) this.grow();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = value;
    this.length++;
  }

  popFront(): string | undefined {
    if (this.length === 0) return undefined;
    const v = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.length--;
    this.shrink();
    return v;
  }

  popBack(): string | undefined {
    if (this.length === 0) return undefined;
    const at = (this.head + this.length - 1) & (this.items.length - 1);
    const v = this.items[at];
    this.items[at] = undefined;
    this.length--;
    this.shrink();
    return v;
  }

  /** Inserts `value` before element `i` (i = length appends), moving the shorter side. */
  insert(i: number, value: string): void {
    if (i < this.length - i) {
      this.pushFront(value);
      for (let j = 0; j < i; j++) this.set(j, this.at(j + 1));
    } else {
      this.pushBack(value);
      for (let j = this.length - 1; j > i; j--) this.set(j, this.at(j - 1));
    }
    this.set(i, value);
  }

  /** Elements [from, to] (inclusive, clamped), as an array. */
  slice(from = 0, to = this.length - 1): string[] {
    const out: string[] = [];
    for (let i = Math.max(0, from); i <= Math.min(to, this.length - 1); i++) out.push(this.at(i));
    return out;
  }

  /** Replaces the whole content (for the O(n) edits: LREM, LTRIM keeping a small part). */
  replace(elements: readonly string[]): void {
    let size = 8;
    while (size < elements.length) size *= 2;
    this.items = new Array<string | undefined>(size);
    for (let i = 0; i < elements.length; i++) this.items[i] = elements[i];
    this.head = 0;
    this.length = elements.length;
  }

  private grow(): void {
    this.resize(this.items.length * 2);
  }

  /** A list that was long and is now short gives back most of its buffer (a drained queue). */
  private shrink(): void {
    if (this.items.length > 64 && this.length < this.items.length >>> 2) this.resize(this.items.length >>> 1);
  }

  private resize(size: number): void {
    const items = new Array<string | undefined>(size);
    for (let i = 0; i < this.length; i++) items[i] = this.at(i);
    this.items = items;
    this.head = 0;
  }
}

/** A member of a sorted set with its score. */
export interface ZEntry {
  readonly member: string;
  readonly score: number;
}

/** Redis's order of a sorted set: by score, then by member bytes. */
export function compareZ(a: ZEntry, b: ZEntry): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  return a.member < b.member ? -1 : a.member > b.member ? 1 : 0;
}

/**
 * A sorted set: scores by member, and the entries in Redis's order in one sorted array (binary search
 * for ranks and score ranges; inserts and removals move the tail, fast for the sizes a node holds).
 */
export class ZSetValue {
  readonly scores = new Map<string, number>();
  readonly sorted: ZEntry[] = [];

  get size(): number {
    return this.sorted.length;
  }

  /** Adds or moves `member` to `score`. */
  add(member: string, score: number): void {
    const old = this.scores.get(member);
    if (old !== undefined) {
      if (old === score) return;
      this.sorted.splice(this.rankOf({ member, score: old }), 1);
    }
    this.scores.set(member, score);
    const entry = { member, score };
    this.sorted.splice(this.insertionPoint(entry), 0, entry);
  }

  /** Removes `member`; whether it was there. */
  delete(member: string): boolean {
    const score = this.scores.get(member);
    if (score === undefined) return false;
    this.scores.delete(member);
    this.sorted.splice(this.rankOf({ member, score }), 1);
    return true;
  }

  /** 0-based rank of an entry that is in the set. */
  rankOf(entry: ZEntry): number {
    return this.insertionPoint(entry);
  }

  /** Index of the first entry not ordered before `entry`. */
  insertionPoint(entry: ZEntry): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareZ(this.sorted[mid]!, entry) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first entry whose score is > score (exclusive) or >= score. */
  firstByScore(score: number, exclusive: boolean): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.sorted[mid]!.score;
      if (s < score || (exclusive && s === score)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export type Value = string | HashValue | ListValue | SetValue | ZSetValue;

export type TypeName = 'string' | 'hash' | 'list' | 'set' | 'zset';

/** The name TYPE answers for a value. */
export function typeOf(v: Value): TypeName {
  if (typeof v === 'string') return 'string';
  if (v instanceof HashValue) return 'hash';
  if (v instanceof ListValue) return 'list';
  if (v instanceof SetValue) return 'set';
  return 'zset';
}

/** Elements (fields, members) in a collection; strings count as 1. */
export function sizeOf(v: Value): number {
  if (typeof v === 'string') return 1;
  if (v instanceof ListValue) return v.length;
  return v.size;
}

/** A deep copy (COPY, and anything that must not share a mutable collection). */
export function copyValue(v: Value): Value {
  if (typeof v === 'string') return v;
  if (v instanceof HashValue) return new HashValue(v);
  if (v instanceof SetValue) return new SetValue(v);
  if (v instanceof ListValue) return ListValue.of(v.slice());
  const z = new ZSetValue();
  for (const e of v.sorted) z.add(e.member, e.score);
  return z;
}
