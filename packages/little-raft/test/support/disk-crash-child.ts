// The child process of the crash tests (see disk-crash.ts): opens a DiskStorage in the
// directory given on the command line and writes random batches through it until it is killed.
// Before each write it prints `intent <batch>`; once the write is durable, `ack`. Lines are
// written synchronously (stdout is a pipe), so every ack the parent reads was acknowledged.
//
// usage: node --import tsx test/support/disk-crash-child.ts DIR SEED
import { DiskStorage } from '../../src/storage/disk/index.js';
import { jsonCodec } from '../../src/encoding/codec.js';
import { CRASH_SEGMENT_BYTES, nextBatch, toWrite, type CrashTx, type GenState } from './disk-crash-batches.js';
import { prng } from './prng.js';

const [dir, seedText] = process.argv.slice(2);
if (dir === undefined || seedText === undefined) throw new Error('usage: disk-crash-child.ts DIR SEED');

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const storage = new DiskStorage<CrashTx, string>({
  dir,
  segmentBytes: CRASH_SEGMENT_BYTES,
  snapshotCodec: jsonCodec<string>(),
  onWarning: (message) => say(`warn ${message}`),
});
const loaded = await storage.load();
const gen: GenState = {
  snapIndex: loaded.snapshot?.lastIncludedIndex ?? 0,
  snapTerm: loaded.snapshot?.lastIncludedTerm ?? 0,
  terms: loaded.entries.map((e) => e.term),
  term: Math.max(
    loaded.hardState.term,
    loaded.snapshot?.lastIncludedTerm ?? 0,
    ...loaded.entries.map((e) => e.term),
    1,
  ),
  vote: loaded.hardState.vote,
};
say(`ready ${gen.snapIndex + gen.terms.length}`);
const random = prng(Number(seedText));
for (;;) {
  const batch = nextBatch(gen, random);
  say(`intent ${JSON.stringify(batch)}`);
  await storage.write(toWrite(batch));
  say('ack');
}
