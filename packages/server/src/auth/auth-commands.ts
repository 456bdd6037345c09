// The Redis port's access rules, as Redis 7.0 applies them: AUTH, HELLO's AUTH option, ACL WHOAMI,
// and the check every command passes before it runs or is queued in MULTI (NOAUTH, NOPERM), with
// Redis's own texts.

import { resolveCommand } from '../commands/command-table.js';
import type { MultiState } from '../commands/transaction.js';
import type { WatchSet } from '../commands/watch.js';
import { ERR_SYNTAX } from '../resp/error-replies.js';
import { ErrorReply, OK, SimpleString, type Reply } from '../resp/reply.js';
import type { AccessControl } from './access-control.js';
import { mayRun, type AclUser } from './acl-user.js';

/** What the access rules keep on a connection (RespConnection). */
export interface AuthConnection {
  /** The user it runs as; null: not authenticated yet. */
  user: AclUser | null;
  multi: MultiState | null;
  watching: WatchSet | null;
}

const NOAUTH = new ErrorReply('NOAUTH Authentication required.');
const WRONGPASS = new ErrorReply('WRONGPASS invalid username-password pair or user is disabled.');
const AUTH_WITHOUT_PASSWORD = new ErrorReply(
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
);
export const HELLO_NOAUTH = new ErrorReply(
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
);
const DEFAULT = Buffer.from('default');

/**
 * The refusal of a command `conn` may not run (NOAUTH before AUTH, NOPERM for a user without the
 * right), or null. Inside MULTI a refused command dooms the transaction (EXEC answers EXECABORT),
 * and a refused EXEC ends it, as in Redis. Unknown commands and wrong arities pass: the server
 * answers them with their own errors, as Redis does before it checks access.
 */
export function refusal(conn: AuthConnection, argv: Buffer[]): ErrorReply | null {
  const user = conn.user;
  if (user !== null && user.allowed === null) return null;
  const spec = resolveCommand(argv);
  if (spec instanceof ErrorReply || spec.flags.includes('no_auth')) return null;
  if (user === null) return NOAUTH;
  if (mayRun(user, spec)) return null;
  const denied = `NOPERM this user has no permissions to run the '${spec.name}' command`;
  if (spec.name === 'exec') {
    conn.multi = null;
    conn.watching = null;
    return new ErrorReply(`EXECABORT Transaction discarded because of: ${denied}`);
  }
  if (conn.multi !== null) conn.multi.failed = true;
  return new ErrorReply(denied);
}

/** AUTH <password> | AUTH <user> <password> (the arity is checked already). */
export function authCommand(access: AccessControl, conn: AuthConnection, argv: Buffer[]): Reply {
  if (argv.length > 3) return ERR_SYNTAX;
  if (argv.length === 2 && access.defaultWithoutPassword) return AUTH_WITHOUT_PASSWORD;
  const [name, password] = argv.length === 2 ? [DEFAULT, argv[1]!] : [argv[1]!, argv[2]!];
  return authenticate(access, conn, name, password) ?? OK;
}

/** Authenticates `conn` as `name` (a failure leaves it as it was, as in Redis): null, or WRONGPASS. */
export function authenticate(
  access: AccessControl,
  conn: AuthConnection,
  name: Buffer,
  password: Buffer,
): ErrorReply | null {
  const user = access.authenticate(name, password);
  if (user === null) return WRONGPASS;
  conn.user = user;
  return null;
}

/** ACL WHOAMI and ACL HELP (the arity and the subcommand are checked already). */
export function aclCommand(conn: AuthConnection, argv: Buffer[]): Reply {
  if (argv[1]!.toString('latin1').toLowerCase() === 'whoami') return Buffer.from(conn.user?.name ?? 'default');
  return [
    'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    'WHOAMI',
    '    Return the current connection username.',
    'HELP',
    '    Prints this help.',
  ].map((line) => new SimpleString(line));
}
