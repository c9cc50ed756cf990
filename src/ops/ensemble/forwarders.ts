import type {Forwarder, Kube, PodObject, SecretObject} from '../../kube/types.js';
import {CliError} from '../../errors.js';
import {objectNames, PORTS} from '../../manifests/names.js';
import {CA_KEY, memberServerName} from '../../tls/ensemble.js';
import type {TlsEndpoint, TlsIdentity} from '../../tls/endpoint.js';

/** The ensemble a member pod belongs to (StatefulSet pods are NAME-<ordinal>). */
export function ensembleOfPod(pod: string): string {
  return pod.replace(/-\d+$/, '');
}

/** A member pod of an ensemble made with --tls (manifests/tls.ts names its port). */
export function hasSecureClientPort(p: PodObject): boolean {
  return (p.spec?.containers ?? []).some((c) => (c.ports ?? []).some((port) => port.name === 'secure-client'));
}

/** kubectl-zk's TLS identity from an ensemble's NAME-tls-client Secret (create --tls); null when it has none. */
export function tlsIdentityOf(secret: SecretObject | null): TlsIdentity | null {
  if (!secret) return null;
  const field = (k: string): string => {
    const v = secret.data?.[k];
    if (!v) throw new Error(`secret "${secret.metadata.name}" has no ${k}`);
    return Buffer.from(v, 'base64').toString('utf8');
  };
  return {ca: field(CA_KEY), cert: field('tls.crt'), key: field('tls.key')};
}

/**
 * One port-forward per member pod, opened on first use and kept for the life of
 * the command (KubeClient.close() closes them). Every connection to a forwarder
 * is its own tunnel to the pod, so a dead pod fails only its own requests.
 *
 * The client port of an ensemble made with --tls (it has a NAME-tls-client
 * Secret) is the secure one, reached in TLS (tls/endpoint.ts): what the caller
 * gets is a loopback endpoint it speaks plain ZooKeeper to, each connection
 * wrapped in TLS that verifies the member's certificate against the
 * ensemble's CA and the member's name, and presents kubectl-zk's client
 * certificate. Every command reaches members through here, so none of them
 * knows whether the ensemble has TLS.
 */
export class MemberForwarders {
  private readonly open = new Map<string, Promise<Forwarder>>();
  private readonly identities = new Map<string, Promise<TlsIdentity | null>>();
  private readonly tlsEndpoints: TlsEndpoint[] = [];

  constructor(
    private readonly kube: Kube,
    private readonly port: number = PORTS.client,
  ) {}

  endpoint(namespace: string, pod: string): Promise<Forwarder> {
    const key = `${namespace}/${pod}`;
    let f = this.open.get(key);
    if (!f) {
      f = this.port === PORTS.client ? this.clientEndpoint(namespace, pod) : this.kube.portForward(namespace, pod, this.port);
      f.catch(() => this.open.delete(key));
      this.open.set(key, f);
    }
    return f;
  }

  /** Whether each member pod has a secure client port: tls enable moves an ensemble one member at a time, so the plugin picks plain or TLS per member. */
  private readonly podTls = new Map<string, boolean>();

  /**
   * Tells which members have TLS, from pods the caller listed (a secure client port): no
   * member pod is read again, and an ensemble without TLS needs no Secret read.
   */
  learn(namespace: string, pods: readonly PodObject[]): void {
    for (const p of pods) this.podTls.set(`${namespace}/${p.metadata.name}`, hasSecureClientPort(p));
  }

  /** The last TLS handshake failure (a certificate that does not verify), for error messages. */
  tlsError(): Error | undefined {
    return this.tlsEndpoints.map((e) => e.lastError).find((e) => e !== undefined);
  }

  /**
   * Whether the ensemble has TLS is read from the member pod (a secure client port), which every
   * command that reaches members may read; only then the client Secret, so an ensemble without
   * TLS needs no permission on Secrets.
   */
  private async identity(namespace: string, ensemble: string, pod: string): Promise<TlsIdentity | null> {
    let tls = this.podTls.get(`${namespace}/${pod}`);
    if (tls === undefined) {
      const p = await this.kube.get<PodObject>({apiVersion: 'v1', kind: 'Pod', namespace, name: pod});
      if (!p) return null;
      tls = hasSecureClientPort(p);
    }
    if (!tls) return null;
    const key = `${namespace}/${ensemble}`;
    let got = this.identities.get(key);
    if (!got) {
      got = this.clientIdentity(namespace, ensemble);
      got.catch(() => this.identities.delete(key)); // the endpoint that awaits it reports the failure
      this.identities.set(key, got);
    }
    return got;
  }

  private async clientIdentity(namespace: string, ensemble: string): Promise<TlsIdentity> {
    const name = objectNames(ensemble).tlsClientSecret;
    const secret = await this.kube.get<SecretObject>({apiVersion: 'v1', kind: 'Secret', namespace, name});
    if (!secret) throw new CliError(`ensemble "${ensemble}" has TLS (its pods have a secure client port) but no Secret ${name} in namespace "${namespace}"`);
    return tlsIdentityOf(secret)!;
  }

  private async clientEndpoint(namespace: string, pod: string): Promise<Forwarder> {
    const ensemble = ensembleOfPod(pod);
    const identity = await this.identity(namespace, ensemble, pod);
    if (!identity) return this.kube.portForward(namespace, pod, PORTS.client);
    const [forwarded, {tlsClientEndpoint}] = await Promise.all([this.kube.portForward(namespace, pod, PORTS.secureClient), import('../../tls/endpoint.js')]);
    const tls = await tlsClientEndpoint(forwarded, identity, memberServerName(ensemble, namespace, pod));
    this.tlsEndpoints.push(tls);
    return {
      host: tls.host,
      port: tls.port,
      pod,
      targetPort: PORTS.secureClient,
      close: async () => {
        await tls.close();
        await forwarded.close();
      },
    };
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(
      all.map((f) =>
        f.then(
          (x) => x.close(),
          () => undefined,
        ),
      ),
    );
  }
}
