import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { Message } from '../../src/core/types.js';
import { MESSAGE_TYPES } from '../../src/encoding/message-shape.js';
import { messageShapeError } from '../../src/encoding/message-shape.js';

type T = { id: string | number; op?: string };

const config = { voters: [1, 2, 3], learners: [4], outgoing: [] };

/** One valid message of every type. */
function valid(): Record<Message<T, unknown>['type'], Message<T, unknown>> {
  return {
    'vote-request': {
      type: 'vote-request',
      from: 1,
      to: 2,
      term: 3,
      lastLogIndex: 10,
      lastLogTerm: 2,
      preVote: false,
      transfer: false,
    },
    'vote-response': { type: 'vote-response', from: 2, to: 1, term: 3, granted: true, preVote: true },
    append: {
      type: 'append',
      from: 1,
      to: 2,
      term: 3,
      prevLogIndex: 10,
      prevLogTerm: 2,
      entries: [
        { index: 11, term: 3, transition: { id: 'noop' } },
        { index: 12, term: 3, transition: { id: 7, op: 'x' } },
        { index: 13, term: 3, config },
      ],
      leaderCommit: 10,
      seq: 1,
    },
    'append-response': {
      type: 'append-response',
      from: 2,
      to: 1,
      term: 3,
      success: true,
      index: 13,
      hintIndex: 0,
      hintTerm: 0,
      seq: 1,
    },
    snapshot: {
      type: 'snapshot',
      from: 1,
      to: 2,
      term: 3,
      lastIncludedIndex: 10,
      lastIncludedTerm: 2,
      config,
      termStarts: [1, 1, 6, 2],
      offset: 4,
      data: new Uint8Array([1, 2]),
      done: false,
      seq: 2,
    },
    'snapshot-response': {
      type: 'snapshot-response',
      from: 2,
      to: 1,
      term: 3,
      lastIncludedIndex: 10,
      nextOffset: 6,
      seq: 2,
    },
    'timeout-now': { type: 'timeout-now', from: 1, to: 2, term: 3 },
    'read-index': { type: 'read-index', from: 2, to: 1, term: 3, requestId: 5 },
    'read-index-response': {
      type: 'read-index-response',
      from: 1,
      to: 2,
      term: 3,
      requestId: 5,
      readIndex: 10,
    },
  };
}

/** A deep copy with `path` (dot/bracket-free list of keys) set to `value` (undefined deletes). */
function withField(msg: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(msg) as Record<string | number, unknown>;
  let at = copy;
  for (let i = 0; i < path.length - 1; i++) at = at[path[i]!] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

const NUMERIC: Record<string, string[]> = {
  'vote-request': ['lastLogIndex', 'lastLogTerm'],
  'vote-response': [],
  append: ['prevLogIndex', 'prevLogTerm', 'leaderCommit', 'seq'],
  'append-response': ['index', 'hintIndex', 'hintTerm', 'seq'],
  snapshot: ['lastIncludedIndex', 'lastIncludedTerm', 'offset', 'seq'],
  'snapshot-response': ['lastIncludedIndex', 'nextOffset', 'seq'],
  'timeout-now': [],
  'read-index': ['requestId'],
  'read-index-response': ['requestId', 'readIndex'],
};

const BOOLEAN: Record<string, string[]> = {
  'vote-request': ['preVote', 'transfer'],
  'vote-response': ['granted', 'preVote'],
  'append-response': ['success'],
  snapshot: ['done'],
};

test('accepts a valid message of every type, and boundary values', () => {
  const all = valid();
  assert.deepEqual(Object.keys(all).sort(), [...MESSAGE_TYPES].sort());
  for (const msg of Object.values(all)) assert.equal(messageShapeError(msg), null, msg.type);
  assert.equal(messageShapeError({ type: 'timeout-now', from: 0, to: Number.MAX_SAFE_INTEGER, term: 0 }), null);
  // Whole non-byte snapshot data at offset 0; extra fields are ignored.
  assert.equal(messageShapeError({ ...all.snapshot, offset: 0, data: { kv: {} }, extra: 'x' }), null);
  assert.equal(messageShapeError({ ...all.append, entries: [] }), null);
});

test('rejects non-objects and unknown types', () => {
  assert.equal(messageShapeError(null), 'message is not an object');
  assert.equal(messageShapeError('append'), 'message is not an object');
  assert.equal(messageShapeError(undefined), 'message is not an object');
  assert.equal(messageShapeError({ from: 1, to: 2, term: 3 }), 'message type is not a string');
  assert.equal(messageShapeError({ type: 'vote', from: 1, to: 2, term: 3 }), 'unknown message type "vote"');
  assert.equal(messageShapeError({ type: 'toString', from: 1, to: 2, term: 3 }), 'unknown message type "toString"');
  const long = messageShapeError({ type: 'x'.repeat(1000), from: 1, to: 2, term: 3 });
  assert.ok(long !== null && long.length < 80, long ?? '');
});

test('rejects each malformed integer field of every type', () => {
  const badNumbers: unknown[] = [-1, 1.5, NaN, Infinity, 2 ** 53, '3', null, undefined, 3n];
  for (const msg of Object.values(valid())) {
    for (const field of ['from', 'to', 'term', ...NUMERIC[msg.type]!]) {
      for (const bad of badNumbers) {
        assert.equal(
          messageShapeError(withField(msg, [field], bad)),
          `${msg.type}: ${field} is not a non-negative integer`,
          `${msg.type}.${field} = ${String(bad)}`,
        );
      }
    }
  }
});

test('rejects each malformed boolean field', () => {
  const all = valid();
  for (const [type, fields] of Object.entries(BOOLEAN)) {
    for (const field of fields) {
      for (const bad of [0, 1, 'true', null, undefined]) {
        assert.equal(
          messageShapeError(withField(all[type as keyof typeof all], [field], bad)),
          `${type}: ${field} is not a boolean`,
          `${type}.${field} = ${String(bad)}`,
        );
      }
    }
  }
});

test('rejects malformed append entries, naming the entry', () => {
  const append = valid().append;
  const cases: [(string | number)[], unknown, string][] = [
    [['entries'], undefined, 'entries is not an array'],
    [['entries'], { length: 0 }, 'entries is not an array'],
    [['entries', 1], null, 'entries[1] is not an object'],
    [['entries', 1], 5, 'entries[1] is not an object'],
    [['entries', 2, 'index'], -1, 'entries[2].index is not a non-negative integer'],
    [['entries', 2, 'term'], 1.5, 'entries[2].term is not a non-negative integer'],
    [['entries', 0, 'term'], undefined, 'entries[0].term is not a non-negative integer'],
    [['entries', 0, 'transition'], undefined, 'entries[0] has neither a transition nor a config'],
    [['entries', 0, 'transition'], 'noop', 'entries[0].transition is not an object'],
    [['entries', 0, 'transition'], null, 'entries[0].transition is not an object'],
    [['entries', 1, 'transition', 'id'], undefined, 'entries[1].transition.id is not a string or number'],
    [['entries', 1, 'transition', 'id'], { x: 1 }, 'entries[1].transition.id is not a string or number'],
    [['entries', 0, 'config'], config, 'entries[0] has both a transition and a config'],
    [['entries', 2, 'config'], [1, 2], 'entries[2].config.voters is not an array'],
    [['entries', 2, 'config'], 'voters', 'entries[2].config is not an object'],
    [['entries', 2, 'config', 'voters'], undefined, 'entries[2].config.voters is not an array'],
    [
      ['entries', 2, 'config', 'outgoing'],
      [1, -2],
      'entries[2].config.outgoing[1] is not a replica id (non-negative integer)',
    ],
    [
      ['entries', 2, 'config', 'learners', 0],
      '4',
      'entries[2].config.learners[0] is not a replica id (non-negative integer)',
    ],
  ];
  for (const [path, value, reason] of cases) {
    assert.equal(
      messageShapeError(withField(append, path, value)),
      `append: ${reason}`,
      `${path.join('.')} = ${String(value)}`,
    );
  }
});

test('rejects malformed snapshot config, termStarts and data', () => {
  const snapshot = valid().snapshot;
  const cases: [(string | number)[], unknown, string][] = [
    [['config'], undefined, 'config is not an object'],
    [['config', 'voters'], 'x', 'config.voters is not an array'],
    [['config', 'voters', 2], 2.5, 'config.voters[2] is not a replica id (non-negative integer)'],
    [['config', 'outgoing'], undefined, 'config.outgoing is not an array'],
    [['termStarts'], undefined, 'termStarts is not an array'],
    [['termStarts'], [1, 1, 6], 'termStarts has odd length 3 (expected [firstIndex, term] pairs)'],
    [['termStarts', 1], -1, 'termStarts[1] is not a non-negative integer'],
    [['termStarts', 2], 2 ** 53, 'termStarts[2] is not a non-negative integer'],
    [['termStarts'], [1, 1, 1, 2], 'termStarts[2] is not above termStarts[0] (indices must increase)'],
    [['termStarts'], [1, 2, 6, 2], 'termStarts[3] is not above termStarts[1] (terms must increase)'],
    [['data'], undefined, 'data is missing'],
    [['data'], { kv: {} }, 'data is not a Uint8Array chunk although offset > 0'],
  ];
  for (const [path, value, reason] of cases) {
    assert.equal(
      messageShapeError(withField(snapshot, path, value)),
      `snapshot: ${reason}`,
      `${path.join('.')} = ${String(value)}`,
    );
  }
});

test('reports the first problem in field order', () => {
  const msg = withField(valid()['vote-request'], ['term'], -1) as Record<string, unknown>;
  msg['preVote'] = 'no';
  assert.equal(messageShapeError(msg), 'vote-request: term is not a non-negative integer');
});
