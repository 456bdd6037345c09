// Protected mode, as Redis's: a node with no password and no users, whose Redis port is reached
// from another host, answers that client with Redis's DENIED text (its remedies put in
// little-raft's flags) and closes the connection. As in Redis, only 127.0.0.1 and ::1 count as
// local.

const DENIED = Buffer.from(
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. ' +
    'In this mode connections are only accepted from the loopback interface. ' +
    'If you want to connect from external computers to Redis you may adopt one of the following solutions: ' +
    '1) Restart the node with a password for the default user (--requirepass-file FILE) or with users (--users-file FILE): ' +
    'this is the way for a node that other hosts reach. ' +
    "2) If the network is trusted, restart the node with the '--no-protected-mode' option, " +
    'however MAKE SURE the node is not publicly accessible from internet if you do so. ' +
    'NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n',
);

const LOCAL = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** What to answer a client from `remoteAddress` before closing its connection, or null to serve it. */
export function protectedModeRefusal(remoteAddress: string | undefined): Buffer | null {
  return remoteAddress !== undefined && LOCAL.has(remoteAddress) ? null : DENIED;
}
