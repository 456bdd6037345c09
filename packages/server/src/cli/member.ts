// `little-raft member list|add|remove|transfer-leader`: the membership of a running cluster, through
// the admin API of any member's HTTP port (admin-client.ts). Success prints one short line (or the
// list); any failure prints one line `little-raft: <why>` on stderr and exits 1.

import { Command, Option } from 'commander';

import { adminRequest, AdminRequestError } from './admin-client.js';
import { formatMembersTable, parseMembersReply } from './members-reply.js';
import { hostPort, nodeId, positive } from './parse.js';
import { readSecretFile } from './secret-file.js';
import { StartupError } from '../errors.js';
import { addClientTlsOptions, cliTarget, httpTargetArg, type CliTlsFlags } from '../tls/cli-options.js';
import type { ClientTls } from '../tls/http-client.js';

interface AdminFlags extends CliTlsFlags {
  secretFile?: string;
  timeout: number;
}

/** How every request of a command reaches --node and authenticates. */
interface Target {
  /** --node as host:port. */
  node: string;
  secret: Uint8Array | null;
  tls?: ClientTls;
  timeoutMs: number;
}

/** Adds the `member` command group to `program`. */
export function addMemberCommands(program: Command): void {
  const member = program
    .command('member')
    .description("list and change the members of a running cluster, through any member's HTTP address");

  adminCommand(member, 'list', 'print the members: addresses, role, match index and lag, connected')
    .option('--json', 'print the members as a JSON array')
    .action(run(async (flags: AdminFlags & { json?: true }, to) => listMembers(flags, to)));

  adminCommand(member, 'add', 'add a node as a learner; it becomes a voter once it has caught up')
    .addOption(new Option('--id <n>', 'the new node id').argParser(nodeId).makeOptionMandatory())
    .addOption(new Option('--raft <host:port>', 'its Raft address').argParser(hostPort).makeOptionMandatory())
    .addOption(new Option('--redis <host:port>', 'its Redis-protocol address').argParser(hostPort))
    .addOption(new Option('--http <host:port>', 'its HTTP address').argParser(hostPort))
    .action(
      run(async (flags: AdminFlags & { id: number; raft: string; redis?: string; http?: string }, to) => {
        const body = {
          id: flags.id,
          raft: flags.raft,
          ...(flags.redis !== undefined && { redis: flags.redis }),
          ...(flags.http !== undefined && { http: flags.http }),
        };
        await adminRequest({ ...to, method: 'POST', path: '/admin/members', body });
        return `node ${flags.id} (raft ${flags.raft}) added as a learner; it becomes a voter once it has caught up`;
      }),
    );

  adminCommand(member, 'remove', 'take a member out of the cluster (a leader hands leadership over first)')
    .addOption(new Option('--id <n>', 'the node id to remove').argParser(nodeId).makeOptionMandatory())
    .option('--force', 'remove it even if that leaves no quorum of live voters')
    .action(
      run(async (flags: AdminFlags & { id: number; force?: true }, to) => {
        const path = `/admin/members/${flags.id}${flags.force ? '?force=1' : ''}`;
        await adminRequest({ ...to, method: 'DELETE', path });
        return `node ${flags.id} removed`;
      }),
    );

  adminCommand(member, 'transfer-leader', 'hand leadership to another voter')
    .addOption(new Option('--to <n>', 'the node id to lead').argParser(nodeId).makeOptionMandatory())
    .action(
      run(async (flags: AdminFlags & { to: number }, to) => {
        const reply = await adminRequest({
          ...to,
          method: 'POST',
          path: '/admin/transfer-leader',
          body: { to: flags.to },
        });
        const leaderId = (reply as { leaderId?: unknown } | null)?.leaderId;
        return `node ${typeof leaderId === 'number' ? leaderId : flags.to} is the leader`;
      }),
    );
}

/** A `member` subcommand with the options every one of them takes. */
function adminCommand(member: Command, name: string, description: string): Command {
  const cmd = member
    .command(name)
    .description(description)
    .addOption(
      new Option('--node <host:port>', 'HTTP address of any member (https://host:port: over HTTPS)')
        .argParser(httpTargetArg)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--secret-file <file>', 'file holding the shared cluster secret (or give a client --cert)').env(
        'LITTLE_RAFT_SECRET_FILE',
      ),
    )
    .addOption(
      new Option('--timeout <ms>', 'how long to wait for a leader and its answer').argParser(positive).default(15000),
    );
  return addClientTlsOptions(cmd);
}

/** The action for a subcommand: prints what `body` returns, or its failure as one line (exit 1). */
function run<F extends AdminFlags>(body: (flags: F, to: Target) => Promise<string>) {
  return async (flags: F): Promise<void> => {
    try {
      if (flags.secretFile === undefined && flags.cert === undefined) {
        throw new StartupError('give --secret-file, or a client certificate (--cert and --key) over HTTPS');
      }
      const secret = flags.secretFile === undefined ? null : await readSecretFile(flags.secretFile);
      const { address, tls } = await cliTarget(flags);
      const to = { node: address, secret, ...(tls !== undefined && { tls }), timeoutMs: flags.timeout };
      console.log(await body(flags, to));
    } catch (e) {
      if (!(e instanceof AdminRequestError || e instanceof StartupError)) throw e;
      console.error(`little-raft: ${e.message}`);
      process.exitCode = 1;
    }
  };
}

/**
 * Asks --node for the members until the cluster has a leader, then, if --node is not the leader,
 * asks the leader too: only the leader knows how far each member is behind.
 */
async function listMembers(flags: AdminFlags & { json?: true }, to: Target): Promise<string> {
  const deadline = Date.now() + flags.timeout;
  const request = { secret: to.secret, tls: to.tls, method: 'GET', path: '/admin/members' } as const;
  let reply = parseMembersReply(
    await adminRequest({
      ...request,
      node: to.node,
      timeoutMs: flags.timeout,
      leaderless: (body, node) => parseMembersReply(body, node).leaderId === null,
    }),
    to.node,
  );
  const fromLeader = reply.members.some((m) => m.matchIndex !== null);
  const leaderHttp = reply.members.find((m) => m.id === reply.leaderId)?.http ?? null;
  let note = '';
  if (!fromLeader && leaderHttp !== null) {
    try {
      const timeoutMs = Math.max(1, deadline - Date.now());
      reply = parseMembersReply(await adminRequest({ ...request, node: leaderHttp, timeoutMs }), leaderHttp);
    } catch (e) {
      if (!(e instanceof AdminRequestError)) throw e;
      // The members as --node sees them are still worth printing, without match and lag.
      note = `\n(match and lag unknown: the leader did not answer: ${e.message})`;
    }
  }
  if (flags.json) return JSON.stringify(reply.members, null, 2);
  const changing = reply.changing ? '\n(a membership change is in progress)' : '';
  return formatMembersTable(reply.members) + changing + note;
}
