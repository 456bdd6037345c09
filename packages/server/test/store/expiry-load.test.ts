// A loaded key space builds its expiry heap key by key as the snapshot is read (not in one step at
// the end): it must purge exactly the keys, in exactly the order, of the key space it was taken
// from, whose heap grew command by command. Many keys share an expiry time and more than a write's
// purge limit (256) expire at once, so the order among ties shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { Keyspace } from '../../src/store/keyspace.js';
import { cmd, T0 } from '../support/kv-helpers.js';

/** The keys held, including expired ones not yet purged: what purging has done so far. */
function held(k: Keyspace): string[] {
  return [...k.values.keys()].sort();
}

/** Loads `bytes` a step per entry or so (deadline 0: every check of the time ends a step). */
function loadInSteps(bytes: Uint8Array): Keyspace {
  const loading = Keyspace.loading(bytes);
  while (!loading.step(0));
  return loading.keyspace;
}

test('a loaded key space purges the same keys in the same order as the one its snapshot was taken of', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.boolean()), { minLength: 700, maxLength: 1200 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 6 }),
      (keys, writeTimes) => {
        const source = new Keyspace();
        keys.forEach(([slot, expires], i) => {
          source.applyWrite(cmd(['SET', `k${(i * 7919) % 100_000}`, 'v']), T0);
          // Expiry times from a few slots: many ties, broken by the key.
          if (expires)
            source.applyWrite(cmd(['PEXPIREAT', `k${(i * 7919) % 100_000}`, String(T0 + 10 + slot * 10)]), T0);
        });
        const loaded = loadInSteps(source.serialize());
        assert.deepEqual(held(loaded), held(source));
        let at = T0;
        for (const dt of writeTimes.sort((a, b) => a - b)) {
          at = T0 + 5 + dt * 10;
          for (const k of [source, loaded]) k.applyWrite(cmd('SET probe x'), at);
          assert.deepEqual(held(loaded), held(source), `held after a write at +${at - T0} ms`);
          assert.equal(loaded.expiredCount(at + 20), source.expiredCount(at + 20));
        }
      },
    ),
    { numRuns: 40 },
  );
});
