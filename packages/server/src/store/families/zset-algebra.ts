// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (zunionInterDiffGenericCommand). Inputs
// may be sorted sets or sets (a set member scores 1). Scores are combined in Redis's order, which
// matters for floating-point sums: inputs sorted by size (a stable sort, as glibc's qsort is), each
// member's scores aggregated input by input. A weighted score that is NaN (0 * inf) counts as 0, and
// so does a sum that is NaN (inf + -inf).

import { isKeyword, latin1, parseInt64Arg } from '../../commands/args.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, WRONGTYPE } from '../../resp/error-replies.js';
import { ErrorReply, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';
import { SetValue } from '../values.js';
import { compareZ, ZSetValue, type ZEntry } from '../zset-value.js';
import { parseScore } from './zset-args.js';
import { entriesReply, storeEntries } from './zset-common.js';

const ERR_WEIGHT = new ErrorReply('ERR weight value is not a float');
const ERR_LIMIT = new ErrorReply("ERR LIMIT can't be negative");

type Op = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';

interface Source {
  value: ZSetValue | SetValue | undefined;
  weight: number;
}

function sizeOfSource(s: Source): number {
  return s.value === undefined ? 0 : s.value.size;
}

/** The score of `member` in a source (1 in a set), or undefined. */
function scoreIn(s: Source, member: string): number | undefined {
  if (s.value instanceof ZSetValue) return s.value.scores.get(member);
  return s.value?.has(member) === true ? 1 : undefined;
}

/** Calls `f` with each member of a source and its score (1 in a set). */
function forEachIn(s: Source, f: (member: string, score: number) => boolean | void): void {
  if (s.value instanceof ZSetValue) {
    for (const [member, score] of s.value.scores) if (f(member, score) === false) return;
  } else if (s.value !== undefined) {
    for (const member of s.value) if (f(member, 1) === false) return;
  }
}

/** zunionInterAggregate. */
function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === 'sum') {
    const sum = target + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (how === 'min') return value < target ? value : target;
  return value > target ? value : target;
}

function weighted(score: number, weight: number): number {
  const v = score * weight;
  return Number.isNaN(v) ? 0 : v;
}

interface Options {
  /** The command's name, for the error about numkeys. */
  name: string;
  op: Op;
  /** argv index of numkeys. */
  numkeysAt: number;
  /** The STORE forms' destination (argv[1]). */
  store: boolean;
  /** ZINTERCARD. */
  cardinality: boolean;
  write: boolean;
}

function setOperation(ks: KeyStore, argv: readonly Uint8Array[], t: number, o: Options): Reply {
  const n = parseInt64Arg(argv[o.numkeysAt]!);
  if (n === null) return ERR_NOT_INTEGER;
  if (n < 1) return new ErrorReply(`ERR at least 1 input key is needed for '${o.name}' command`);
  if (n > argv.length - (o.numkeysAt + 1)) return ERR_SYNTAX;
  const count = Number(n);
  const sources: Source[] = [];
  let j = o.numkeysAt + 1;
  for (; j < o.numkeysAt + 1 + count; j++) {
    const key = latin1(argv[j]!);
    const v = o.write ? ks.getForWrite(key, t) : ks.get(key, t);
    if (v !== undefined && !(v instanceof ZSetValue) && !(v instanceof SetValue)) return WRONGTYPE;
    sources.push({ value: v, weight: 1 });
  }
  let how: Aggregate = 'sum';
  let withScores = false;
  let limit = 0;
  while (j < argv.length) {
    const a = argv[j]!;
    const remaining = argv.length - j;
    const combines = o.op !== 'diff' && !o.cardinality;
    if (combines && remaining >= count + 1 && isKeyword(a, 'weights')) {
      j++;
      for (const s of sources) {
        const w = parseScore(argv[j++]!);
        if (w === null) return ERR_WEIGHT;
        s.weight = w;
      }
    } else if (combines && remaining >= 2 && isKeyword(a, 'aggregate')) {
      const h = argv[j + 1]!;
      if (isKeyword(h, 'sum')) how = 'sum';
      else if (isKeyword(h, 'min')) how = 'min';
      else if (isKeyword(h, 'max')) how = 'max';
      else return ERR_SYNTAX;
      j += 2;
    } else if (!o.store && !o.cardinality && isKeyword(a, 'withscores')) {
      withScores = true;
      j++;
    } else if (o.cardinality && remaining >= 2 && isKeyword(a, 'limit')) {
      const l = parseInt64Arg(argv[j + 1]!);
      if (l === null || l < 0) return ERR_LIMIT;
      limit = Number(l);
      j += 2;
    } else {
      return ERR_SYNTAX;
    }
  }
  if (o.op !== 'diff') sources.sort((a, b) => sizeOfSource(a) - sizeOfSource(b));
  if (o.cardinality) return interCount(sources, limit);
  const entries = o.op === 'union' ? union(sources, how) : o.op === 'inter' ? inter(sources, how) : diff(sources);
  entries.sort(compareZ);
  if (o.store) return storeEntries(ks, latin1(argv[1]!), entries, t);
  return entriesReply(entries, withScores);
}

function union(sources: readonly Source[], how: Aggregate): ZEntry[] {
  const scores = new Map<string, number>();
  for (const s of sources) {
    forEachIn(s, (member, score) => {
      const v = weighted(score, s.weight);
      const old = scores.get(member);
      scores.set(member, old === undefined ? v : aggregate(old, v, how));
    });
  }
  const out: ZEntry[] = [];
  for (const [member, score] of scores) out.push({ member, score });
  return out;
}

/** The members of the smallest input that are in every input, with their aggregated scores. */
function inter(sources: readonly Source[], how: Aggregate): ZEntry[] {
  const out: ZEntry[] = [];
  const first = sources[0]!;
  forEachIn(first, (member, score0) => {
    let score = weighted(score0, first.weight);
    for (let i = 1; i < sources.length; i++) {
      const s = sources[i]!;
      const v = scoreIn(s, member);
      if (v === undefined) return;
      // Only the first weighting is cleared of NaN; a later one goes through aggregate as is.
      score = aggregate(score, v * s.weight, how);
    }
    out.push({ member, score });
  });
  return out;
}

/** ZINTERCARD: how many members every input has, counting up to `limit` (0: no limit). */
function interCount(sources: readonly Source[], limit: number): number {
  let n = 0;
  forEachIn(sources[0]!, (member) => {
    for (let i = 1; i < sources.length; i++) if (scoreIn(sources[i]!, member) === undefined) return true;
    n++;
    return limit === 0 || n < limit;
  });
  return n;
}

/** The members of the first input in no other, with their scores in the first. */
function diff(sources: readonly Source[]): ZEntry[] {
  const out: ZEntry[] = [];
  forEachIn(sources[0]!, (member, score) => {
    for (let i = 1; i < sources.length; i++) if (scoreIn(sources[i]!, member) !== undefined) return;
    out.push({ member, score });
  });
  return out;
}

function command(name: string, op: Op, store: boolean, cardinality = false): CommandHandler {
  const o: Options = { name, op, numkeysAt: store ? 2 : 1, store, cardinality, write: store };
  return (ks, argv, t) => setOperation(ks, argv, t, o);
}

export const ZSET_ALGEBRA_WRITES: Record<string, CommandHandler> = {
  zunionstore: command('zunionstore', 'union', true),
  zinterstore: command('zinterstore', 'inter', true),
  zdiffstore: command('zdiffstore', 'diff', true),
};

export const ZSET_ALGEBRA_READS: Record<string, CommandHandler> = {
  zunion: command('zunion', 'union', false),
  zinter: command('zinter', 'inter', false),
  zdiff: command('zdiff', 'diff', false),
  zintercard: command('zintercard', 'inter', false, true),
};
