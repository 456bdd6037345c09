// What the server needs to run a command, in one place: the command table and lookup, the arity and
// syntax checks that come before proposing a write, and the replies to the stateless local commands.

export { COMMANDS, checkArity, lookupCommand, lookupSubcommand, resolveCommand } from './command-table.js';
export { unknownCommand as unknownCommandError } from '../resp/error-replies.js';
export { validateWrite } from './write-syntax.js';
export {
  clientHelpReply,
  commandReply,
  configReply,
  echoReply,
  functionReply,
  pingReply,
  selectReply,
} from './stateless-commands.js';
