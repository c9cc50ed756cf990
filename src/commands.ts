import Backup from './commands/backup.js';
import Certificate from './commands/certificate.js';
import Complete from './commands/complete.js';
import Create from './commands/create.js';
import Export from './commands/export.js';
import FailoverTest from './commands/failover-test.js';
import Import from './commands/import.js';
import List from './commands/list.js';
import Logs from './commands/logs.js';
import MemberReplace from './commands/member/replace.js';
import TlsEnable from './commands/tls/enable.js';
import Rbac from './commands/rbac.js';
import Report from './commands/report.js';
import Restart from './commands/restart.js';
import Restore from './commands/restore.js';
import RestoreQuorum from './commands/restore-quorum.js';
import RotateCerts from './commands/rotate-certs.js';
import Scale from './commands/scale.js';
import Secure from './commands/secure.js';
import Status from './commands/status.js';
import Teardown from './commands/teardown.js';
import Upgrade from './commands/upgrade.js';
import Version from './commands/version.js';
import ZnodeCreate from './commands/znode/create.js';
import ZnodeDelete from './commands/znode/delete.js';
import ZnodeGet from './commands/znode/get.js';
import ZnodeLs from './commands/znode/ls.js';
import ZnodeSet from './commands/znode/set.js';
import ZnodeStat from './commands/znode/stat.js';

/** oclif's explicit command strategy: nothing is discovered from the filesystem at start. */
export const COMMANDS = {
  __complete: Complete,
  backup: Backup,
  certificate: Certificate,
  create: Create,
  export: Export,
  'failover-test': FailoverTest,
  import: Import,
  list: List,
  logs: Logs,
  'member:replace': MemberReplace,
  'tls:enable': TlsEnable,
  rbac: Rbac,
  report: Report,
  restart: Restart,
  restore: Restore,
  'restore-quorum': RestoreQuorum,
  'rotate-certs': RotateCerts,
  scale: Scale,
  secure: Secure,
  status: Status,
  teardown: Teardown,
  upgrade: Upgrade,
  version: Version,
  'znode:create': ZnodeCreate,
  'znode:delete': ZnodeDelete,
  'znode:get': ZnodeGet,
  'znode:ls': ZnodeLs,
  'znode:set': ZnodeSet,
  'znode:stat': ZnodeStat,
};
