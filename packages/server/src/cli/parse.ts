// Checks for the command's flag values: each throws InvalidArgumentError with a message that names
// the flag's problem, which commander prints as "error: option '--x' argument 'v' is invalid. ...".

import { InvalidArgumentError } from 'commander';

import { parseHostPort } from 'little-raft/tcp';

export function nodeId(value: string): number {
  const id = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(id) || id < 1 || id > 2 ** 31 - 1) {
    throw new InvalidArgumentError('a node id is a whole number from 1 to 2147483647.');
  }
  return id;
}

export function positive(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a whole number of at least 1.');
  }
  return n;
}

/** A whole number, negative too (for --clock-offset-ms). */
export function integer(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number.');
  return n;
}

export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError('a port is 1-65535.');
  return n;
}

export function hostPort(value: string): string {
  try {
    parseHostPort(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return value;
}

/** "1=hostA:7001,2=hostB:7001" -> { 1: 'hostA:7001', 2: 'hostB:7001' } */
export function peerList(value: string): Record<number, string> {
  const peers: Record<number, string> = {};
  const items = value.split(',').map((s) => s.trim());
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`'${item}' is not id=host:port.`);
    const id = nodeId(item.slice(0, eq));
    if (peers[id] !== undefined) throw new InvalidArgumentError(`node ${id} is listed twice.`);
    peers[id] = hostPort(item.slice(eq + 1));
  }
  return peers;
}

export function electionRange(value: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(value);
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (!m || min < 1 || max < min) throw new InvalidArgumentError('expected MIN-MAX in ms, e.g. 1000-2000.');
  return [min, max];
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
