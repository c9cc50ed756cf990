/**
 * The one error type every src/zk function throws. `code` names the failure
 * (ZooKeeper's KeeperException codes plus a few transport-level ones),
 * `path` is the znode involved when there is one, and `message` reads like
 * zkCli's ("Node does not exist: /foo").
 */

export type ZkErrorCode =
  // ZooKeeper server codes (KeeperException.Code)
  | 'SystemError'
  | 'RuntimeInconsistency'
  | 'DataInconsistency'
  | 'ConnectionLoss'
  | 'MarshallingError'
  | 'Unimplemented'
  | 'OperationTimeout'
  | 'BadArguments'
  | 'UnknownSession'
  | 'NewConfigNoQuorum'
  | 'ReconfigInProgress'
  | 'APIError'
  | 'NoNode'
  | 'NoAuth'
  | 'BadVersion'
  | 'NoChildrenForEphemerals'
  | 'NodeExists'
  | 'NotEmpty'
  | 'SessionExpired'
  | 'InvalidCallback'
  | 'InvalidACL'
  | 'AuthFailed'
  | 'SessionMoved'
  | 'NotReadOnly'
  | 'EphemeralOnLocalSession'
  | 'NoWatcher'
  | 'RequestTimeout'
  | 'ReconfigDisabled'
  | 'SessionClosedRequireSaslAuth'
  | 'QuotaExceeded'
  | 'Throttled'
  // transport / client-side
  | 'Timeout'
  | 'ConnectionRefused'
  | 'ConnectionClosed'
  | 'NotServing'
  | 'NotWhitelisted'
  | 'InvalidPath'
  | 'ProtocolError'
  | 'Closed'
  | 'Unknown';

/** ZooKeeper's numeric error codes (org.apache.zookeeper.KeeperException.Code). */
export const ZK_ERROR_NUMBERS: Readonly<Record<number, ZkErrorCode>> = Object.freeze({
  [-1]: 'SystemError',
  [-2]: 'RuntimeInconsistency',
  [-3]: 'DataInconsistency',
  [-4]: 'ConnectionLoss',
  [-5]: 'MarshallingError',
  [-6]: 'Unimplemented',
  [-7]: 'OperationTimeout',
  [-8]: 'BadArguments',
  [-12]: 'UnknownSession',
  [-13]: 'NewConfigNoQuorum',
  [-14]: 'ReconfigInProgress',
  [-100]: 'APIError',
  [-101]: 'NoNode',
  [-102]: 'NoAuth',
  [-103]: 'BadVersion',
  [-108]: 'NoChildrenForEphemerals',
  [-110]: 'NodeExists',
  [-111]: 'NotEmpty',
  [-112]: 'SessionExpired',
  [-113]: 'InvalidCallback',
  [-114]: 'InvalidACL',
  [-115]: 'AuthFailed',
  [-118]: 'SessionMoved',
  [-119]: 'NotReadOnly',
  [-120]: 'EphemeralOnLocalSession',
  [-121]: 'NoWatcher',
  [-122]: 'RequestTimeout',
  [-123]: 'ReconfigDisabled',
  [-124]: 'SessionClosedRequireSaslAuth',
  [-125]: 'QuotaExceeded',
  [-127]: 'Throttled',
});

export interface ZkErrorOptions {
  path?: string | undefined;
  /** ZooKeeper's numeric code, when the error came from a server reply. */
  zkCode?: number | undefined;
  cause?: unknown;
}

export class ZkError extends Error {
  override readonly name = 'ZkError';
  readonly code: ZkErrorCode;
  readonly path: string | undefined;
  readonly zkCode: number | undefined;

  constructor(code: ZkErrorCode, message: string, options: ZkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause});
    this.code = code;
    this.path = options.path;
    this.zkCode = options.zkCode;
  }

  /** Build the error for a numeric server code, with a zkCli-like message. */
  static fromServerCode(zkCode: number, path?: string): ZkError {
    const code = ZK_ERROR_NUMBERS[zkCode] ?? 'Unknown';
    return new ZkError(code, zkMessage(code, path, zkCode), {path, zkCode});
  }

  /** Build the error for a code name, with a zkCli-like message. */
  static of(code: ZkErrorCode, path?: string, cause?: unknown): ZkError {
    return new ZkError(code, zkMessage(code, path), {path, cause});
  }
}

export function isZkError(e: unknown, code?: ZkErrorCode): e is ZkError {
  return e instanceof ZkError && (code === undefined || e.code === code);
}

/** Messages modelled on zkCli.sh's output for the same failures. */
export function zkMessage(code: ZkErrorCode, path?: string, zkCode?: number): string {
  const p = path ?? '';
  const on = (s: string): string => (path === undefined ? s : `${s}: ${p}`);
  switch (code) {
    case 'NoNode':
      return on('Node does not exist');
    case 'NodeExists':
      return on('Node already exists');
    case 'NotEmpty':
      return on('Node not empty');
    case 'BadVersion':
      return path === undefined ? 'version No is not valid' : `version No is not valid : ${p}`;
    case 'NoAuth':
      return path === undefined ? 'Insufficient permission' : `Insufficient permission : ${p}`;
    case 'AuthFailed':
      return 'Authentication failed';
    case 'NoChildrenForEphemerals':
      return on('Ephemerals cannot have children');
    case 'InvalidACL':
      return on('Invalid ACL');
    case 'BadArguments':
      return on('Bad arguments');
    case 'ConnectionLoss':
      return on('Connection lost');
    case 'SessionExpired':
      return 'Session expired';
    case 'ReconfigInProgress':
      return 'Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)';
    case 'NewConfigNoQuorum':
      return 'No quorum of new config is connected and up-to-date with the leader of last commmitted config - try invoking reconfiguration after new servers are connected and synced';
    case 'ReconfigDisabled':
      return 'Reconfig is disabled';
    case 'Timeout':
      return on('Timed out');
    case 'InvalidPath':
      return on('Invalid path');
    case 'Closed':
      return 'Client is closed';
    default:
      return zkCode === undefined ? on(`KeeperErrorCode = ${code}`) : on(`KeeperErrorCode = ${code} (${zkCode})`);
  }
}
