import type {SecretObject} from '../../src/kube/types.js';

/** A Secret as the API server returns it (data base64), in namespace prod. */
export function caSecret(data: Record<string, string>, type = 'kubernetes.io/tls', name = 'my-ca'): SecretObject {
  return {apiVersion: 'v1', kind: 'Secret', metadata: {name, namespace: 'prod'}, type, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]))};
}
