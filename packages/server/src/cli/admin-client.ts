// A client of the admin HTTP API (`/admin/...` on a node's --http port): signs each request with
// the cluster secret (ops/admin-auth.ts), or speaks HTTPS with a client certificate (src/tls/), parses the JSON reply, and turns every failure into one
// line a person can act on. Changes are made by the leader only: a node that is not the leader
// answers 421 with the leader's HTTP address, and the request goes there instead.

import { setTimeout as sleep } from 'node:timers/promises';

import { parseHostPort } from 'little-raft/tcp';

import { signAdminRequest } from '../ops/admin-auth.js';
import { httpRequest, tlsFailureText, type ClientTls } from '../tls/http-client.js';

export interface AdminRequestOptions {
  /** 'host:port' of any member's HTTP port. */
  node: string;
  /** null: requests go unsigned (a client certificate in `tls` authenticates them). */
  secret: Uint8Array | null;
  /** Present: HTTPS, to `node` and to the leader it names alike. */
  tls?: ClientTls | undefined;
  method: 'GET' | 'POST' | 'DELETE';
  /** Path and query, e.g. '/admin/members/3?force=1'. */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** For the whole request, redirects and waits for a leader included. */
  timeoutMs: number;
  /** Whether a 2xx reply (from `node`) says the cluster has no leader yet: then it is asked again. */
  leaderless?: (body: unknown, node: string) => boolean;
}

/** A failed admin request, its message one line for the user. */
export class AdminRequestError extends Error {
  override readonly name = 'AdminRequestError';
}

/** A request the deadline cut off. */
class RequestTimeout extends AdminRequestError {}

/** 421 replies followed at most, so two nodes that name each other cannot bounce us forever. */
const MAX_REDIRECTS = 3;
/** Admin replies are a few KiB; more is not an admin API talking. */
const MAX_REPLY_BYTES = 1 << 20;
/** Between asks while the cluster has no leader (an election takes about one election timeout). */
const LEADER_POLL_MS = 200;

interface Reply {
  status: number;
  /** The parsed JSON body, or the text when it is not JSON. */
  body: unknown;
}

/**
 * Sends the request, following 421 to the leader and asking again while the cluster answers that
 * it has no leader (503, or 421 naming none): such a request was not carried out, so asking again
 * cannot do it twice. Resolves with the JSON of a 2xx reply.
 */
export async function adminRequest(o: AdminRequestOptions): Promise<unknown> {
  const deadline = Date.now() + o.timeoutMs;
  const payload = o.body === undefined ? new Uint8Array(0) : Buffer.from(JSON.stringify(o.body));
  let node = o.node;
  let redirects = 0;
  /** Set while the cluster has answered that it has no leader: what the last answer said. */
  let noLeader: string | null = null;
  const waitForLeader = async (): Promise<void> => {
    if (Date.now() + LEADER_POLL_MS >= deadline) throw new AdminRequestError(noLeaderMessage(o.timeoutMs, noLeader!));
    await sleep(LEADER_POLL_MS);
  };
  for (;;) {
    let reply: Reply;
    try {
      reply = await send(node, o, payload, deadline);
    } catch (e) {
      // The deadline cut off an ask made while waiting for a leader: no leader came in time.
      if (e instanceof RequestTimeout && noLeader !== null) {
        throw new AdminRequestError(noLeaderMessage(o.timeoutMs, noLeader));
      }
      throw e;
    }
    if (reply.status >= 200 && reply.status < 300) {
      if (typeof reply.body === 'string') {
        throw new AdminRequestError(`node ${node} answered with a reply that is not JSON`);
      }
      if (o.leaderless?.(reply.body, node) !== true) return reply.body;
      noLeader = '';
      await waitForLeader();
      continue;
    }
    const error = errorText(reply);
    if (reply.status === 401) throw new AdminRequestError(`authentication failed: ${error}`);
    const leaderHttp = reply.status === 421 ? leaderHttpOf(reply.body) : null;
    if (leaderHttp !== null) {
      if (++redirects > MAX_REDIRECTS) {
        throw new AdminRequestError(`${error} (gave up after ${MAX_REDIRECTS} redirects to the leader)`);
      }
      node = leaderHttp;
      continue;
    }
    if (reply.status === 421 || reply.status === 503) {
      noLeader = `${node}: ${error}`;
      await waitForLeader();
      continue;
    }
    throw new AdminRequestError(error);
  }
}

function noLeaderMessage(timeoutMs: number, lastAnswer: string): string {
  return `no leader within ${timeoutMs} ms${lastAnswer === '' ? '' : ` (${lastAnswer})`}`;
}

/** The reply's `error` field (or its text), or the status when it has neither. */
function errorText(reply: Reply): string {
  const { body } = reply;
  if (typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string') {
    return (body as { error: string }).error;
  }
  // Not from a little-raft node, perhaps (a proxy's error page): its first line, cut short.
  if (typeof body === 'string' && body.trim() !== '') return body.trim().split('\n')[0]!.slice(0, 200);
  return `HTTP status ${reply.status}`;
}

function leaderHttpOf(body: unknown): string | null {
  const leaderHttp = (body as { leaderHttp?: unknown } | null)?.leaderHttp;
  if (typeof leaderHttp !== 'string') return null;
  try {
    parseHostPort(leaderHttp);
  } catch {
    return null;
  }
  return leaderHttp;
}

function send(node: string, o: AdminRequestOptions, payload: Uint8Array, deadline: number): Promise<Reply> {
  const { host, port } = parseHostPort(node);
  const remaining = Math.max(1, deadline - Date.now());
  return new Promise((resolve, reject) => {
    const req = httpRequest(o.tls, {
      host,
      port,
      method: o.method,
      path: o.path,
      // A fresh connection each time, closed after the reply: nothing keeps the command alive.
      agent: false,
      headers: {
        ...(o.secret !== null && { authorization: signAdminRequest(o.secret, o.method, o.path, payload) }),
        'content-type': 'application/json',
        'content-length': payload.length,
        connection: 'close',
      },
    });
    const timer = setTimeout(() => {
      req.destroy(new RequestTimeout(`node ${node} did not answer within ${o.timeoutMs} ms`));
    }, remaining);
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        e instanceof AdminRequestError
          ? e
          : new AdminRequestError(
              `cannot reach node ${o.tls === undefined ? node : `https://${node}`}: ${tlsFailureText(e, host) ?? networkError(e, o.tls !== undefined)}`,
            ),
      );
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e instanceof AdminRequestError ? e : new AdminRequestError(`node ${node} broke off its reply`));
      });
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_REPLY_BYTES) req.destroy(new AdminRequestError(`node ${node} sent a reply over 1 MiB`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: kept as text, for the error message.
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.end(payload);
  });
}

function networkError(e: NodeJS.ErrnoException, https: boolean): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      // What a port that serves HTTPS does with a plain request.
      return https ? 'connection reset' : 'connection reset (if the node serves HTTPS, use --node https://host:port)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to host';
    default:
      return e.message;
  }
}
