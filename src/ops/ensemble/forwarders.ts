import type {Forwarder, Kube} from '../../kube/types.js';
import {PORTS} from '../../manifests/names.js';

/**
 * One port-forward per member pod, opened on first use and kept for the life of
 * the command (KubeClient.close() closes them). Every connection to a forwarder
 * is its own tunnel to the pod, so a dead pod fails only its own requests.
 */
export class MemberForwarders {
  private readonly open = new Map<string, Promise<Forwarder>>();

  constructor(
    private readonly kube: Kube,
    private readonly port: number = PORTS.client,
  ) {}

  endpoint(namespace: string, pod: string): Promise<Forwarder> {
    const key = `${namespace}/${pod}`;
    let f = this.open.get(key);
    if (!f) {
      f = this.kube.portForward(namespace, pod, this.port);
      f.catch(() => this.open.delete(key));
      this.open.set(key, f);
    }
    return f;
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
