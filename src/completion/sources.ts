import type {Kube, StatefulSetObject} from '../kube/types.js';
import {LABEL, managedSelector} from '../manifests/labels.js';
import {Directive, formatCompletion, type Candidate, type KubeWords, type Plan, type Source} from './plan.js';

/** Where dynamic candidates come from: the API server and the kubeconfig. */
export interface CompletionSources {
  kube(): Promise<Kube>;
  contexts(): Promise<string[]>;
}

async function fetch(source: Source, src: CompletionSources): Promise<Candidate[]> {
  if (source === 'contexts') return (await src.contexts()).map((value) => ({value}));
  const kube = await src.kube();
  if (source === 'namespaces') return (await kube.list('v1', 'Namespace')).map((n) => ({value: n.metadata.name}));
  if (source === 'storageClasses') return (await kube.list('storage.k8s.io/v1', 'StorageClass')).map((s) => ({value: s.metadata.name}));
  const sets = await kube.list<StatefulSetObject>('apps/v1', 'StatefulSet', {namespace: kube.namespace, labelSelector: managedSelector()});
  return sets.map((s) => ({
    value: s.metadata.labels?.[LABEL.instance] ?? s.metadata.name,
    description: `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 0} ready, namespace ${kube.namespace}`,
  }));
}

/** Runs a plan to the text kubectl expects. A failed lookup answers cobra's error directive (the shell offers nothing). */
export async function answer(plan: Plan, src: CompletionSources): Promise<string> {
  if (plan.kind === 'values') return formatCompletion(plan.candidates, plan.directive);
  if (plan.kind === 'files') return formatCompletion([], Directive.default);
  try {
    const found = await fetch(plan.source, src);
    const candidates = found
      .filter((c) => c.value.startsWith(plan.typed))
      .map((c) => ({...c, value: `${plan.prefix}${c.value}`}))
      .sort((a, b) => a.value.localeCompare(b.value));
    return formatCompletion(candidates, Directive.noFileComp);
  } catch {
    return formatCompletion([], Directive.error);
  }
}

/** The real sources: the kubeconfig kubectl would use (flags typed so far win), a short request timeout. */
export function kubeSources(words: KubeWords, env: NodeJS.ProcessEnv, timeoutMs = 5000): CompletionSources & {close(): Promise<void>} {
  const flags = {namespace: words.namespace, context: words.context, kubeconfig: words.kubeconfig};
  let client: Promise<Kube> | undefined;
  return {
    kube() {
      client ??= (async () => {
        const [{resolveKubeConfig}, {KubeClient}, {parseDuration}] = await Promise.all([import('../kube/config.js'), import('../kube/client.js'), import('../util/duration.js')]);
        let requestTimeoutMs = timeoutMs;
        try {
          if (words.requestTimeout) requestTimeoutMs = parseDuration(words.requestTimeout, '--request-timeout') || timeoutMs;
        } catch {
          // a half-typed value: keep the default
        }
        return new KubeClient(resolveKubeConfig(flags, env), {requestTimeoutMs});
      })();
      return client;
    },
    async contexts() {
      const {resolveKubeConfig} = await import('../kube/config.js');
      const {kc} = resolveKubeConfig({kubeconfig: flags.kubeconfig}, env, {requireCluster: false});
      return kc.getContexts().map((c) => c.name);
    },
    async close() {
      if (client)
        await client.then(
          (k) => k.close(),
          () => undefined,
        );
    },
  };
}
