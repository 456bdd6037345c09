// The server commands of the command table that the server answers itself (resp/server.ts).

import { spec, type CommandSpec } from '../spec.js';

export const SERVER_COMMANDS: readonly CommandSpec[] = [
  spec('time', 1, 'local', 'loading stale fast', '@fast'),
  spec('role', 1, 'local', 'noscript loading stale fast', '@admin @fast @dangerous'),
  spec('wait', 3, 'local', 'noscript', '@slow @connection'),
];
