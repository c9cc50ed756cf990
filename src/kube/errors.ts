import {CliError} from '../errors.js';

/** What the caller was doing when the API said no: used to name the missing permission. */
export interface KubeRequest {
  verb: string; // get, list, create, patch, delete, watch, create (pods/portforward) ...
  resource: string; // e.g. "statefulsets", "pods/portforward"
  namespace?: string;
  name?: string;
}

export interface KubeTarget {
  server: string;
  context: string;
}

/**
 * The one error type for everything the API server (or the way to it) refused.
 * `status` is the HTTP status code (0 when the server could not be reached),
 * `reason` the API's machine-readable reason, `apiMessage` the API's own message.
 */
export class KubeError extends CliError {
  readonly status: number;
  readonly reason: string;
  readonly apiMessage: string;
  readonly request?: KubeRequest;

  constructor(init: {status: number; reason: string; apiMessage: string; message: string; hint?: string; request?: KubeRequest; cause?: unknown}) {
    super(init.message, {hint: init.hint, cause: init.cause});
    this.name = 'KubeError';
    this.status = init.status;
    this.reason = init.reason;
    this.apiMessage = init.apiMessage;
    this.request = init.request;
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }

  get isConflict(): boolean {
    return this.status === 409;
  }
}

interface StatusBody {
  message?: string;
  reason?: string;
  code?: number;
  details?: {causes?: {reason?: string; message?: string}[]};
}

function parseBody(body: unknown): StatusBody {
  if (body && typeof body === 'object') return body as StatusBody;
  if (typeof body === 'string' && body.trim().startsWith('{')) {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return {message: body};
    }
  }
  if (typeof body === 'string' && body.trim() !== '') return {message: body.trim()};
  return {};
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Finds a Node network error code (ECONNREFUSED, ...) anywhere in an error's cause chain. */
function networkCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 6 && cur; depth++) {
    const code = (cur as {code?: unknown}).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const errors = (cur as {errors?: unknown[]}).errors;
    if (Array.isArray(errors)) {
      for (const e of errors) {
        const c = networkCode(e);
        if (c) return c;
      }
    }
    cur = (cur as {cause?: unknown}).cause;
  }
  return undefined;
}

function describeTarget(req?: KubeRequest): string {
  if (!req) return '';
  const what = req.name ? `${req.resource} "${req.name}"` : req.resource;
  return req.namespace ? `${what} in namespace "${req.namespace}"` : what;
}

/**
 * Turns anything client-node (or the network under it) throws into a KubeError.
 * Called once, in src/kube/client.ts, around every API call.
 */
export function toKubeError(err: unknown, target: KubeTarget, req?: KubeRequest): KubeError {
  if (err instanceof KubeError) return err;
  const code = (err as {code?: unknown})?.code;
  if (typeof code === 'number' && code >= 100) {
    const body = parseBody((err as {body?: unknown}).body);
    const causes = (body.details?.causes ?? []).map((c) => c.message).filter((m): m is string => Boolean(m));
    // an eviction's 429 names the budget only in its causes ("The disruption budget zk-pdb needs 2 healthy pods …")
    const apiMessage = [body.message ?? (err instanceof Error ? err.message : String(err)), ...causes].join(': ');
    const reason = body.reason ?? '';
    return fromStatus(code, reason, apiMessage, target, req, err);
  }
  const net = networkCode(err);
  if (net) {
    const tls = net.includes('CERT') || net.includes('SELF_SIGNED') || net.includes('VERIFY');
    return new KubeError({
      status: 0,
      reason: net,
      apiMessage: err instanceof Error ? err.message : String(err),
      message: tls ? `the server's certificate was not accepted (${net}) at ${target.server}` : `cannot reach the Kubernetes API server at ${target.server} (${net})`,
      hint: `context "${target.context}"; check --context/--kubeconfig and that the cluster is running`,
      request: req,
      cause: err,
    });
  }
  if (err instanceof Error && err.name === 'TimeoutError') {
    return new KubeError({
      status: 0,
      reason: 'Timeout',
      apiMessage: err.message,
      message: `the API server at ${target.server} did not answer in time`,
      hint: 'raise --request-timeout, or check the cluster',
      request: req,
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new KubeError({status: 0, reason: 'Unknown', apiMessage: message, message: `Kubernetes API request failed: ${message}`, request: req, cause: err});
}

export function fromStatus(status: number, reason: string, apiMessage: string, target: KubeTarget, req?: KubeRequest, cause?: unknown): KubeError {
  const base = {status, reason, apiMessage, request: req, cause};
  const what = describeTarget(req);
  switch (status) {
    case 401:
      return new KubeError({
        ...base,
        reason: reason || 'Unauthorized',
        message: `the API server at ${target.server} did not accept the credentials of context "${target.context}"`,
        hint: 'your credentials may have expired; log in again or pick another --context',
      });
    case 403: {
      const verb = req?.verb ?? 'access';
      const hint = req
        ? `you need permission to ${verb} ${req.resource}${req.namespace ? ` in namespace "${req.namespace}"` : ''}; ask your cluster admin, or check with: kubectl auth can-i ${verb} ${req.resource}${req.namespace ? ` -n ${req.namespace}` : ''}`
        : 'check your RBAC permissions';
      return new KubeError({...base, reason: reason || 'Forbidden', message: `forbidden: ${apiMessage}`, hint});
    }
    case 404:
      return new KubeError({
        ...base,
        reason: reason || 'NotFound',
        message: what ? `${what} not found` : `not found: ${apiMessage}`,
        hint: req?.namespace ? `check the name and the namespace (-n)` : undefined,
      });
    case 409:
      return new KubeError({...base, reason: reason || 'Conflict', message: `conflict: ${apiMessage}`, hint: 'another client changed the object; run the command again'});
    case 422:
      return new KubeError({...base, reason: reason || 'Invalid', message: `the API server rejected ${what || 'the object'}: ${apiMessage}`});
    case 429:
      if (req?.resource === 'pods/eviction')
        return new KubeError({...base, reason: reason || 'TooManyRequests', message: `eviction of ${what} refused: ${apiMessage}`, hint: 'a PodDisruptionBudget allows no disruption now'});
      return new KubeError({...base, reason: reason || 'TooManyRequests', message: `the API server is throttling requests: ${apiMessage}`, hint: 'wait and run the command again'});
    default:
      if (status >= 500) {
        return new KubeError({...base, reason: reason || 'ServerError', message: `the API server failed (${status}): ${apiMessage}`, hint: `server ${target.server}, context "${target.context}"`});
      }
      return new KubeError({...base, reason: reason || 'Error', message: `API request failed (${status}): ${apiMessage}`});
  }
}

/**
 * Runs `write`; when the API answers 409 Conflict (the object changed since it
 * was read), runs `reread` and tries again, `attempts` times in all. The one
 * conflict retry: a write that carries a resourceVersion goes through it.
 */
export async function retryOnConflict<T>(write: () => Promise<T>, reread: () => Promise<void>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      if (!(e instanceof KubeError && e.isConflict) || attempt >= attempts) throw e;
      await reread();
    }
  }
}
