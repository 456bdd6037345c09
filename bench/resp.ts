// One Redis command over a fresh connection, for the KV bench's readiness checks: sends the
// command as a RESP array, returns the first reply (an error reply rejects).
import { connect } from 'node:net';

import RedisParser from 'redis-parser';

export function redisCommand(port: number, args: string[], timeoutMs = 2000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (error: Error | null, reply?: unknown): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply);
    };
    const timer = setTimeout(
      () => done(new Error(`${args[0]} on port ${port}: no reply in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const parser = new RedisParser({
      returnReply: (reply: unknown) => done(null, reply),
      returnError: (error) => done(error),
    });
    socket.on('data', (data: Buffer) => parser.execute(data));
    socket.on('error', (error) => done(error));
    socket.on('close', () => done(new Error(`${args[0]} on port ${port}: connection closed without a reply`)));
    let command = `*${args.length}\r\n`;
    for (const a of args) command += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    socket.write(command);
  });
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
