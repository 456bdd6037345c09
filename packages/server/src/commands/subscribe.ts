// SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE and PUBSUB, and the rules of a subscribed
// connection, as in Redis 7.0 (the node's side, delivery, is node/pubsub.ts).
//
// A connection's subscriptions are kept twice. What its commands asked for so far
// (ClientSubscriptions) changes as each command is read: it gives the counts of the confirmations
// and says whether the connection is in subscribed mode, where a RESP2 connection may only run
// (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET, and PING answers ["pong", arg]. What it
// receives (the node's registry) changes when the command's confirmation is written: a message
// never comes before the confirmation of the subscription it came by, and none comes after the
// confirmation of an unsubscription.
//
// SUBSCRIBE and PSUBSCRIBE first wait for a read barrier: the node has then applied every PUBLISH
// completed before them, so a subscriber never receives a message published before it subscribed
// (a node that is catching up on its log, or restarting, would hand on old ones). A message
// published after the confirmation is received. (A barrier that fails, with no leader in time,
// subscribes all the same: SUBSCRIBE cannot fail in Redis.)
//
// Inside MULTI/EXEC they take effect when EXEC's answer is made, as in Redis (EXEC's array then
// holds more replies than its length says, as in Redis). Unlike Redis, commands that a client
// pipelined after such an EXEC were read before it ran: a RESP2 client's GET there is not refused.

import { latin1, latin1Bytes, isKeyword } from './args.js';
import { resolveCommand } from './command-table.js';
import type { Classified } from '../resp/classified.js';
import { unknownSubcommand } from '../resp/error-replies.js';
import { ErrorReply, Push, SimpleString, type Reply } from '../resp/reply.js';
import { CHANNEL, PATTERN, type PubSub, type Subscriber, type SubscriptionKind } from '../node/pubsub.js';

/** What a connection's commands have subscribed it to so far, in the order they did. */
export class ClientSubscriptions {
  readonly names = [new Set<string>(), new Set<string>()] as const;

  get count(): number {
    return this.names[CHANNEL].size + this.names[PATTERN].size;
  }

  /** RESET: none left (the node's registry forgets the connection when RESET's turn comes). */
  clear(): void {
    this.names[CHANNEL].clear();
    this.names[PATTERN].clear();
  }
}

/** What the subscribing commands keep on a connection (RespConnection). */
export interface SubscriberConnection extends Subscriber {
  subscriptions: ClientSubscriptions | null;
  /** The protocol of the commands read so far (a HELLO's switch is written later). */
  readonly resp3Read: boolean;
}

/** What the subscribing commands need from the server. */
export interface SubscribeHost {
  readonly pubsub: PubSub;
  readBarrier(): Promise<void>;
}

export type SubscriptionCommand = 'subscribe' | 'unsubscribe' | 'psubscribe' | 'punsubscribe';

const WORDS: Record<SubscriptionCommand, Buffer> = {
  subscribe: Buffer.from('subscribe'),
  unsubscribe: Buffer.from('unsubscribe'),
  psubscribe: Buffer.from('psubscribe'),
  punsubscribe: Buffer.from('punsubscribe'),
};

/** The commands a subscribed RESP2 connection may run. */
const ALLOWED_SUBSCRIBED = new Set([
  'ping',
  'subscribe',
  'unsubscribe',
  'psubscribe',
  'punsubscribe',
  'ssubscribe',
  'sunsubscribe',
  'quit',
  'reset',
]);

const NO_REPLIES: Reply[] = [];
const noReplies = (): Reply[] => NO_REPLIES;

/** Whether `conn` is in subscribed mode (RESP2's command rules, PING's answer). */
export function isSubscribed(conn: SubscriberConnection): boolean {
  return conn.subscriptions !== null && conn.subscriptions.count > 0;
}

/**
 * SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE or PUNSUBSCRIBE (arity checked): one confirmation per name,
 * or UNSUBSCRIBE's one [unsubscribe, nil, count] with nothing to unsubscribe from. `inTransaction`:
 * run at once, as part of EXEC's answer.
 */
export function subscriptionCommand(
  conn: SubscriberConnection,
  name: SubscriptionCommand,
  argv: readonly Uint8Array[],
  host: SubscribeHost,
  inTransaction: boolean,
): Classified {
  const subs = (conn.subscriptions ??= new ClientSubscriptions());
  const kind: SubscriptionKind = name === 'subscribe' || name === 'unsubscribe' ? CHANNEL : PATTERN;
  const own = subs.names[kind];
  const word = WORDS[name];
  const frames: Reply[][] = [];
  /** The names whose subscription starts (or ends) with this command. */
  const changed: string[] = [];
  if (name === 'subscribe' || name === 'psubscribe') {
    for (let i = 1; i < argv.length; i++) {
      const n = latin1(argv[i]!);
      if (!own.has(n)) {
        own.add(n);
        changed.push(n);
      }
      frames.push([word, argv[i]!, subs.count]);
    }
    const subscribe = (): Reply => {
      for (const n of changed) host.pubsub.subscribe(conn, kind, n);
      return new Push(frames);
    };
    if (inTransaction) return { kind: 'reply', reply: subscribe() };
    return {
      kind: 'exec',
      as: 'read',
      run: () => host.readBarrier().then(noReplies, noReplies),
      answer: subscribe,
    };
  }
  const names = argv.length > 1 ? argv.slice(1).map(latin1) : [...own];
  if (names.length === 0) frames.push([word, null, subs.count]);
  for (const n of names) {
    if (own.delete(n)) changed.push(n);
    frames.push([word, latin1Bytes(n), subs.count]);
  }
  const unsubscribe = (): Reply => {
    for (const n of changed) host.pubsub.unsubscribe(conn, kind, n);
    return new Push(frames);
  };
  return inTransaction ? { kind: 'reply', reply: unsubscribe() } : { kind: 'late', answer: unsubscribe };
}

/**
 * Redis 7.0's refusal of a command on a subscribed RESP2 connection, or null if it may run
 * (unknown commands and wrong arities get their usual errors, as in Redis).
 */
export function refusedWhenSubscribed(conn: SubscriberConnection, argv: readonly Uint8Array[]): ErrorReply | null {
  if (conn.resp3Read || !isSubscribed(conn)) return null;
  const spec = resolveCommand(argv);
  if (spec instanceof ErrorReply || ALLOWED_SUBSCRIBED.has(spec.name)) return null;
  return new ErrorReply(
    `ERR Can't execute '${spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
  );
}

/** PING on a subscribed RESP2 connection: ["pong", message or ""]. */
export function subscribedPing(argv: readonly Uint8Array[]): Reply {
  return [Buffer.from('pong'), argv.length > 1 ? argv[1]! : Buffer.alloc(0)];
}

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
].map((line) => new SimpleString(line));

/**
 * PUBSUB CHANNELS [pattern], NUMSUB [channel ...], NUMPAT, HELP (arity checked), for the whole
 * cluster. SHARDCHANNELS and SHARDNUMSUB answer as for a node without shard channels.
 */
export function pubsubReply(argv: readonly Uint8Array[], pubsub: PubSub): Reply {
  const sub = argv[1]!;
  if (isKeyword(sub, 'channels') || isKeyword(sub, 'shardchannels')) {
    if (argv.length > 3) {
      return new ErrorReply(
        `ERR unknown subcommand or wrong number of arguments for '${latin1(sub)}'. Try PUBSUB HELP.`,
      );
    }
    if (isKeyword(sub, 'shardchannels')) return [];
    return pubsub.channels(argv.length === 3 ? latin1(argv[2]!) : null).map(latin1Bytes);
  }
  if (isKeyword(sub, 'numsub') || isKeyword(sub, 'shardnumsub')) {
    const shard = isKeyword(sub, 'shardnumsub');
    const out: Reply[] = [];
    for (let i = 2; i < argv.length; i++) out.push(argv[i]!, shard ? 0 : pubsub.numsub(latin1(argv[i]!)));
    return out;
  }
  if (isKeyword(sub, 'numpat')) return pubsub.numpat();
  if (isKeyword(sub, 'help')) return PUBSUB_HELP;
  return unknownSubcommand('pubsub', sub);
}
