import Create from './commands/create.js';
import List from './commands/list.js';
import Status from './commands/status.js';
import Teardown from './commands/teardown.js';

/** oclif's explicit command strategy: nothing is discovered from the filesystem at start. */
export const COMMANDS = {
  create: Create,
  list: List,
  status: Status,
  teardown: Teardown,
};
