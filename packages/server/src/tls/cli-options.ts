// The flags with which `member ...` and `backup` reach a node over HTTPS: --node https://host:port
// (or host:port with --cacert), --cacert, and --cert/--key for a client certificate (which
// authenticates admin requests when the node has --http-tls-ca, instead of --secret-file).

import { InvalidArgumentError, Option, type Command } from 'commander';

import { parseHostPort } from 'little-raft/tcp';

import { StartupError } from '../errors.js';
import { parseHttpTarget } from './http-client.js';
import { resolveTarget, type ResolvedTarget } from './client-files.js';

export interface CliTlsFlags {
  node: string;
  cacert?: string;
  cert?: string;
  key?: string;
}

/** commander's parser for --node and --join: host:port, http://host:port or https://host:port. */
export function httpTargetArg(value: string): string {
  try {
    parseHostPort(parseHttpTarget(value).address);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return value;
}

export function addClientTlsOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--cacert <file>', "CA certificate (PEM) that signed the node's HTTPS certificate; implies HTTPS").env(
        'LITTLE_RAFT_CACERT',
      ),
    )
    .addOption(
      new Option('--cert <file>', 'client certificate (PEM) for HTTPS: authenticates admin requests').env(
        'LITTLE_RAFT_CERT',
      ),
    )
    .addOption(new Option('--key <file>', 'private key (PEM) of --cert').env('LITTLE_RAFT_KEY'));
}

/** Where --node is and how to reach it; a StartupError for flags that do not fit together. */
export function cliTarget(flags: CliTlsFlags): Promise<ResolvedTarget> {
  const anyFile = flags.cacert ?? flags.cert ?? flags.key;
  if (anyFile !== undefined && parseHttpTarget(flags.node).scheme === 'http') {
    throw new StartupError('--cacert, --cert and --key are for HTTPS, but --node says http://');
  }
  return resolveTarget(
    '--node',
    flags.node,
    { ca: flags.cacert, cert: flags.cert, key: flags.key },
    { ca: '--cacert', cert: '--cert', key: '--key' },
    anyFile !== undefined,
  );
}
