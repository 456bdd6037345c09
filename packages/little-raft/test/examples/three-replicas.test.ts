// examples/three-replicas.ts, run as `npm run example` runs it: three replicas agree on [ 15, 15, 15 ].
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertBuilt, runTsx } from './support.js';

test('the three-replicas example elects a leader and every replica ends at 15', async () => {
  assertBuilt();
  const { code, output } = await runTsx(['examples/three-replicas.ts']);
  assert.equal(code, 0, output);
  const lines = output.trimEnd().split('\n');
  assert.equal(lines.at(-1), '[ 15, 15, 15 ]', output);
  assert.match(output, /^replica \d sees leader \d$/m);
  for (const id of [1, 2, 3]) assert.match(output, new RegExp(`^replica ${id}: mul-3 applied -> 15$`, 'm'));
});
