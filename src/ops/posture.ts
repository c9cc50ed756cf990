import type {KubeObject, StatefulSetObject} from '../kube/types.js';
import {PORTS} from '../manifests/names.js';
import {describeClientPeers} from '../manifests/network.js';
import {secureZooCfg} from '../manifests/security.js';
import {USER_CA_ANNOTATION} from '../tls/user-ca.js';

/** The closed-by-default settings as an ensemble's live objects have them (status shows it; secure fixes what is open). */
export interface SecurityPosture {
  /** who may connect to the client port ('all (no NetworkPolicy)' when there is none) */
  clientsFrom: string[];
  networkPolicy: boolean;
  adminOnLoopback: boolean;
  serviceAccountToken: boolean;
  /** what is not closed by default (empty: all is); `kubectl zk secure` fixes each */
  open: string[];
  /** made with --tls-from-secret: the Secret holding the user's CA (the StatefulSet's annotation); kubectl-zk signs with it, never rotates it */
  tlsCaSecret?: string;
}

export interface PostureInput {
  sts: StatefulSetObject;
  zooCfg?: string;
  policy: KubeObject | null;
}

/** Pure over the live objects. The system ACLs need a session: `secure` checks those. */
export function securityPosture(live: PostureInput): SecurityPosture {
  const open: string[] = [];
  const clientsFrom = describeClientPeers((live.policy ?? undefined) as never, [PORTS.client, PORTS.secureClient]);
  if (!live.policy) open.push('no NetworkPolicy: every pod may reach the quorum, election and client ports');
  const adminOnLoopback = live.zooCfg !== undefined && secureZooCfg(live.zooCfg).changes.length === 0;
  if (!adminOnLoopback) open.push('the AdminServer listens on every address');
  const serviceAccountToken = live.sts.spec?.template?.spec?.automountServiceAccountToken !== false;
  if (serviceAccountToken) open.push('the pods mount a service-account token');
  const tlsCaSecret = live.sts.metadata.annotations?.[USER_CA_ANNOTATION];
  return {clientsFrom, networkPolicy: Boolean(live.policy), adminOnLoopback, serviceAccountToken, open, ...(tlsCaSecret ? {tlsCaSecret} : {})};
}
