// A RespServer on a stand-in for KvNode, for connection-level tests of MULTI / EXEC / WATCH: each
// submission is applied at once (in submission order, one log index each) to a real
// KvStateMachine, reads are local, and what the server asked of the node is recorded.
import * as net from 'node:net';
import type { TestContext } from 'node:test';

import type { KvBatch, KvWatch } from '../../src/store/batch.js';
import { seqOf } from '../../src/store/dedupe.js';
import type { KvNode } from '../../src/node/node.js';
import type { Reply } from '../../src/resp/reply.js';
import { RespServer } from '../../src/resp/server.js';
import { KvStateMachine } from '../../src/store/state-machine.js';
import { watchesHold, watchOf } from '../../src/store/watch.js';

interface Submission {
  commands: string[];
  transaction: boolean;
  /** The watched keys the transaction carried, if any. */
  watches?: string[];
}

/** What RespServer needs of a KvNode: writes applied at once (in submission order), reads local. */
class StandInNode {
  readonly id = 1;
  readonly counters = { commandsApplied: 0 };
  readonly submissions: Submission[] = [];
  barriers = 0;
  private last: Reply[] | null = null;
  private counter = 0;
  readonly machine = new KvStateMachine({
    applied: (_batch, replies) => (this.last = replies),
    abandoned: () => undefined,
    pending: () => [],
    restored: () => undefined,
  });

  submitWrites(commands: Uint8Array[][], transaction = false, watches?: readonly KvWatch[]): Promise<Reply[]> {
    const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
    this.submissions.push({
      commands: commands.map((c) => c.map(text).join(' ')),
      transaction,
      ...(watches !== undefined && watches.length > 0 && { watches: watches.map((w) => text(w.key)) }),
    });
    const seq = seqOf(1, ++this.counter);
    const batch: KvBatch = { id: `1:${seq}`, origin: 1, seq, at: Date.now(), commands };
    const spans = transaction ? { transactions: [{ start: 0, count: commands.length, watches }] } : {};
    this.machine.applyTransition({ ...batch, ...spans }, this.counter);
    return Promise.resolve(this.last!);
  }

  /** Set: read barriers fail with it (no leader in time). */
  barrierError: Error | null = null;

  readBarrier(): Promise<void> {
    this.barriers++;
    return this.barrierError === null ? Promise.resolve() : Promise.reject(this.barrierError);
  }

  read(argv: Uint8Array[]): Reply {
    return this.machine.keyspace.read(argv, Date.now());
  }

  readAll(commands: Uint8Array[][], watches: readonly KvWatch[] = []): Reply[] | null {
    const now = Date.now();
    if (!watchesHold(this.machine.keyspace, watches, now)) return null;
    return commands.map((argv) => this.machine.keyspace.read(argv, now));
  }

  watchOf(key: Uint8Array): KvWatch {
    return watchOf(this.machine.keyspace, key, Date.now(), this.machine.lastApplied);
  }

  status(): null {
    return null;
  }

  connectedPeers(): number[] {
    return [];
  }
}

const encode = (words: string[]): string =>
  `*${words.length}\r\n` + words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join('');

/** A last ECHO marks the end of an answer (it is answered after everything before it). */
const END = '$7\r\n__end__\r\n';

/** A client connection: `send` writes commands (split on spaces) and resolves with every byte answered. */
interface StandInClient {
  send: (lines: string[]) => Promise<string>;
}

export interface StandInServer {
  node: StandInNode;
  /** On a new connection, closed afterwards; QUIT ends the answer with the connection. */
  send: (lines: string[]) => Promise<string>;
  /** A connection that stays open between sends (closed after the test). */
  open: () => Promise<StandInClient>;
}

/** A RespServer on a stand-in node, closed after `t`. */
export async function standInServer(t: TestContext): Promise<StandInServer> {
  const node = new StandInNode();
  const resp = new RespServer({ node: node as unknown as KvNode, metrics: null, redisAddress: '127.0.0.1:0' });
  const { port } = await resp.listen('127.0.0.1', 0);
  t.after(() => resp.close());
  const connect = (): Promise<{ socket: net.Socket; send: (lines: string[]) => Promise<string> }> =>
    new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let out = '';
      let waiter: ((s: string) => void) | null = null;
      const done = (): void => {
        const w = waiter;
        waiter = null;
        const text = out;
        out = '';
        w?.(text);
      };
      socket.on('data', (d: Buffer) => {
        out += d.toString('latin1');
        if (out.endsWith(END)) {
          out = out.slice(0, -END.length);
          done();
        }
      });
      socket.on('close', done);
      socket.once('error', reject);
      socket.once('connect', () =>
        resolve({
          socket,
          send: (lines) =>
            new Promise((r) => {
              waiter = r;
              socket.write(lines.map((l) => encode(l.split(' '))).join('') + encode(['echo', '__end__']));
            }),
        }),
      );
    });
  return {
    node,
    send: async (lines) => {
      const c = await connect();
      try {
        return await c.send(lines);
      } finally {
        c.socket.destroy();
      }
    },
    open: async () => {
      const c = await connect();
      t.after(() => c.socket.destroy());
      return { send: c.send };
    },
  };
}
