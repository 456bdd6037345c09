// Reading command arguments: binary-safe text, case-insensitive keywords and Redis's strict integers.

// Node's undocumented but long-standing Buffer.prototype.latin1Slice / latin1Write skip the argument
// handling of toString / write: about twice as fast for the many short strings of a snapshot.
type Latin1Native = {
  latin1Slice?: (this: Uint8Array, start: number, end: number) => string;
  latin1Write?: (this: Uint8Array, s: string, offset: number) => number;
};
const native = Buffer.prototype as unknown as Latin1Native;
const nativeSlice = typeof native.latin1Slice === 'function' ? native.latin1Slice : null;
const nativeWrite = typeof native.latin1Write === 'function' ? native.latin1Write : null;

/** bytes[start..end) as a latin1 string. */
export function readLatin1(bytes: Uint8Array, start: number, end: number): string {
  if (end - start < 16) {
    // Short strings: cheaper than a call into C++.
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  if (nativeSlice !== null) return nativeSlice.call(bytes, start, end);
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** Writes latin1 string `s` into `buf` at `offset` (the caller made room); returns the offset after it. */
export function writeLatin1(buf: Buffer, s: string, offset: number): number {
  if (s.length < 16) {
    for (let i = 0; i < s.length; i++) buf[offset++] = s.charCodeAt(i);
    return offset;
  }
  return offset + (nativeWrite !== null ? nativeWrite.call(buf, s, offset) : buf.write(s, offset, 'latin1'));
}

/** The bytes as a latin1 string: one char per byte, so any bytes round-trip exactly. */
export function latin1(arg: Uint8Array): string {
  return readLatin1(arg, 0, arg.length);
}

/** A latin1 string back to its bytes. */
export function latin1Bytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Whether `arg` equals `lower` (a lowercase ASCII keyword) ignoring ASCII case. */
export function isKeyword(arg: Uint8Array, lower: string): boolean {
  if (arg.length !== lower.length) return false;
  for (let i = 0; i < arg.length; i++) {
    let b = arg[i]!;
    if (b >= 65 && b <= 90) b += 32;
    if (b !== lower.charCodeAt(i)) return false;
  }
  return true;
}

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/**
 * Parses a signed 64-bit integer the way Redis does (string2ll): an optional '-', then digits with no
 * leading zero ("0" itself is fine; "-0", "+1", " 1", "01" and "" are not). Returns a number when the
 * value is a safe integer, a bigint beyond that, or null if the text is no such integer.
 */
export function parseInt64(text: string): number | bigint | null {
  const len = text.length;
  if (len === 0 || len > 20) return null;
  let i = 0;
  const negative = text.charCodeAt(0) === 45; /* '-' */
  if (negative) i = 1;
  if (i === len) return null;
  const first = text.charCodeAt(i);
  if (first === 48 /* '0' */) return len === 1 ? 0 : null;
  if (first < 49 || first > 57) return null;
  for (let j = i + 1; j < len; j++) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57) return null;
  }
  if (len - i <= 15) {
    const v = Number(text); // at most 15 digits: exact
    return v;
  }
  const big = BigInt(text);
  if (big < INT64_MIN || big > INT64_MAX) return null;
  return Number.isSafeInteger(Number(big)) && BigInt(Number(big)) === big ? Number(big) : big;
}

/** parseInt64 over the argument's bytes. */
export function parseInt64Arg(arg: Uint8Array): number | bigint | null {
  return arg.length > 20 ? null : parseInt64(latin1(arg));
}

/** An integer reply: a number when it is safe, else a bigint. */
export function intReply(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}
