// The values a key can hold, one class per Redis type. Strings are plain latin1 strings (one char per
// byte), as are hash fields, list elements and set and sorted-set members: any bytes round-trip.

import { ZSetValue } from './zset-value.js';

export { ZSetValue };
import type { MemberIndex } from './member-index.js';

/** A hash: field -> value. */
export class HashValue extends Map<string, string> {
  /**
   * Its fields in a fixed order, for HSCAN and HRANDFIELD on a large hash: built on first use
   * (member-index.ts), then kept up to date by set and delete. Undefined while the Map constructor
   * adds the initial entries (fields are defined after it), so those skip it.
   */
  index: MemberIndex | undefined;

  override set(field: string, value: string): this {
    if (this.index !== undefined && !this.has(field)) this.index.add(field);
    return super.set(field, value);
  }

  override delete(field: string): boolean {
    if (!super.delete(field)) return false;
    this.index?.delete(field);
    return true;
  }

  override clear(): void {
    super.clear();
    this.index = undefined;
  }
}

/** A set of members. */
export class SetValue extends Set<string> {
  /** As HashValue's: for SSCAN, SPOP and SRANDMEMBER on a large set. */
  index: MemberIndex | undefined;

  override add(member: string): this {
    if (this.index !== undefined && !this.has(member)) this.index.add(member);
    return super.add(member);
  }

  override delete(member: string): boolean {
    if (!super.delete(member)) return false;
    this.index?.delete(member);
    return true;
  }

  override clear(): void {
    super.clear();
    this.index = undefined;
  }
}

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
  return ZSetValue.fromSorted([...v]);
}
