// One Redis command over a fresh connection, for the KV bench's readiness checks: returns the
// reply (an error reply, a timeout or a refused connection rejects).
import { Redis } from 'ioredis';

export async function redisCommand(port: number, args: string[], timeoutMs = 2000): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    enableReadyCheck: false, // just this command: no INFO first
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // connect() and call() reject on their own
  try {
    await client.connect();
    return await client.call(args[0]!, ...args.slice(1));
  } catch (error) {
    throw new Error(`${args[0]} on port ${port}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    client.disconnect();
  }
}

/** The `field:value` lines of an INFO reply. */
export function parseInfo(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}
