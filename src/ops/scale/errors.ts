/** ZooKeeper's reconfig refusals in scale's words. */
import {CliError} from '../../errors.js';
import {objectNames} from '../../manifests/names.js';
import {isZkError} from '../../zk/errors.js';
import type {PlanStep} from './plan.js';

// ---------------------------------------------------------------- errors

export const DEFINITIVE = new Set(['ReconfigInProgress', 'NewConfigNoQuorum', 'BadVersion', 'BadArguments', 'NoAuth', 'AuthFailed', 'ReconfigDisabled', 'Unimplemented']);

/** A ZooKeeper refusal in this command's words; the server's code stays in the message. */
export function explainReconfigError(e: unknown, step: PlanStep, req: {name: string; namespace: string}, fromVersion?: string): unknown {
  if (!isZkError(e)) return e;
  const what = `${step.action} ${step.pod} (server.${step.id})`;
  const status = `kubectl zk status ${req.name} -n ${req.namespace}`;
  switch (e.code) {
    case 'ReconfigInProgress':
      return new CliError(`${what}: another membership change is still in progress on the ensemble (ZooKeeper: ReconfigInProgress)`, {
        hint: `wait until it completes (${status}) and run scale again`,
        cause: e,
      });
    case 'NewConfigNoQuorum':
      return new CliError(`${what}: ZooKeeper refused the change: a majority of the new voters is not connected and in sync with the leader (NewConfigNoQuorum)`, {
        hint: `bring the members that are down back first (${status})`,
        cause: e,
      });
    case 'BadVersion':
      return new CliError(`${what}: the membership changed while scale was running (committed config is no longer version ${fromVersion ?? '?'}; ZooKeeper: BadVersion)`, {
        hint: 'another scale or reconfig ran at the same time; run scale again',
        cause: e,
      });
    case 'NoAuth':
    case 'AuthFailed':
      return new CliError(`${what}: ZooKeeper did not accept the super-user password from Secret ${objectNames(req.name).secret} (${e.code})`, {
        hint: "the Secret and the servers' superDigest must match",
        cause: e,
      });
    case 'ReconfigDisabled':
      return new CliError(`${what}: dynamic reconfiguration is disabled on the servers (ReconfigDisabled)`, {hint: 'the servers need reconfigEnabled=true', cause: e});
    default:
      return new CliError(`${what}: ${e.message} (ZooKeeper: ${e.code})`, {cause: e});
  }
}
