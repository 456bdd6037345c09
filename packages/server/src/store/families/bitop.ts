// BITOP AND | OR | XOR | NOT destkey key [key ...]: the bytewise operation over strings padded with
// zero bytes to the longest; the result replaces destkey (its expiry dropped), or deletes it when
// every source is empty or absent. Replies the result's length, as Redis 7.0 does.

import { latin1 } from '../../commands/args.js';
import { ERR_SYNTAX } from '../../resp/error-replies.js';
import { ErrorReply } from '../../resp/reply.js';
import type { CommandHandler } from '../key-store.js';
import { isCKeyword } from './bit-args.js';
import { markString } from './object.js';
import { stringAt } from './strings.js';

const ERR_NOT_ONE_KEY = new ErrorReply('ERR BITOP NOT must be called with a single source key.');

type Op = 'and' | 'or' | 'xor' | 'not';
const OPS: readonly Op[] = ['and', 'or', 'xor', 'not'];

const bitop: CommandHandler = (ks, argv, t) => {
  const op = OPS.find((o) => isCKeyword(argv[1]!, o));
  if (op === undefined) return ERR_SYNTAX;
  if (op === 'not' && argv.length !== 4) return ERR_NOT_ONE_KEY;
  const sources: string[] = [];
  let longest = 0;
  for (let i = 3; i < argv.length; i++) {
    const v = stringAt(ks, latin1(argv[i]!), t, true);
    if (v instanceof ErrorReply) return v;
    const s = v ?? ''; // an absent key is an empty string
    sources.push(s);
    if (s.length > longest) longest = s.length;
  }
  const dest = latin1(argv[2]!);
  if (longest === 0) {
    ks.remove(dest);
    return 0;
  }
  const out = Buffer.alloc(longest);
  const first = sources[0]!;
  for (let j = 0; j < longest; j++) {
    let b = j < first.length ? first.charCodeAt(j) : 0;
    if (op === 'not') {
      out[j] = ~b & 0xff;
      continue;
    }
    for (let k = 1; k < sources.length; k++) {
      const s = sources[k]!;
      const c = j < s.length ? s.charCodeAt(j) : 0;
      b = op === 'and' ? b & c : op === 'or' ? b | c : b ^ c;
    }
    out[j] = b;
  }
  const value = out.toString('latin1');
  ks.put(dest, value);
  ks.persist(dest);
  markString(ks, dest, value, true); // a new raw string object, never an integer or embstr
  return longest;
};

export const BITOP_WRITES: Record<string, CommandHandler> = { bitop };
