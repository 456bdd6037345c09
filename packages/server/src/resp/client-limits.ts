// What the Redis port allows its clients, with Redis 7.0's defaults where Redis has one
// (maxclients, timeout, client-output-buffer-limit pubsub) and bounds of our own where Redis has
// none by default (a normal client's unread answers, maxmemory-clients): the server's memory must
// not grow with what clients send, or leave unread.

export interface ClientLimits {
  /** Redis's maxclients: a connection beyond is refused with Redis's error. */
  maxClients: number;
  /** Redis's timeout, in seconds: a client idle this long is closed; 0: never. */
  idleTimeoutSeconds: number;
  /** Bytes of answers a client may leave unread before it is disconnected; 0: no limit. */
  outputBytes: number;
  /** The same for a client subscribed to a channel or pattern (Redis's pubsub hard limit). */
  pubsubOutputBytes: number;
  /**
   * Redis's maxmemory-clients: what all clients together may make the server hold (answers
   * unread, requests partly received); beyond, the client holding most is disconnected. 0: no limit.
   */
  totalBytes: number;
}

export const DEFAULT_CLIENT_LIMITS: Readonly<ClientLimits> = {
  maxClients: 10_000,
  idleTimeoutSeconds: 0,
  outputBytes: 256 * 1024 * 1024,
  pubsubOutputBytes: 32 * 1024 * 1024,
  totalBytes: 512 * 1024 * 1024,
};

/** Redis's reply to a connection beyond maxclients, which it then closes. */
export const MAX_CLIENTS_REPLY = '-ERR max number of clients reached\r\n';
