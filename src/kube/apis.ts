/**
 * client-node's generated API clients, in a module of their own that
 * src/kube/client.ts imports at the first write, log or exec: evaluating the
 * generated API and models is a measurable part of start-up (docs/benchmarks.md), and reads and
 * port-forwards do not need them. Named imports (not `import()` of the
 * package) keep the bundle to the classes used.
 */
import {CoreV1Api, Exec, KubernetesObjectApi, type KubeConfig} from '@kubernetes/client-node';

export interface Apis {
  objects: KubernetesObjectApi;
  core: CoreV1Api;
  exec: Exec;
}

export function makeApis(kc: KubeConfig): Apis {
  return {objects: KubernetesObjectApi.makeApiClient(kc), core: kc.makeApiClient(CoreV1Api), exec: new Exec(kc)};
}
