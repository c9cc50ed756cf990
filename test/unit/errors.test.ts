import assert from 'node:assert/strict';
import {ApiException} from '@kubernetes/client-node';
import {KubeError, retryOnConflict, toKubeError} from '../../src/kube/errors.js';
import {describeError} from '../../src/main.js';
import {UsageError, errorMessage} from '../../src/errors.js';

const target = {server: 'https://10.0.0.1:6443', context: 'prod'};

function api(code: number, body: object): unknown {
  return new ApiException(code, 'HTTP-Code: ' + code, JSON.stringify(body), {});
}

describe('API error mapping', () => {
  it('Forbidden keeps the API message and names the verb and resource the user lacks', () => {
    const e = toKubeError(api(403, {kind: 'Status', reason: 'Forbidden', message: 'statefulsets.apps is forbidden: User "dev" cannot create resource "statefulsets"', code: 403}), target, {
      verb: 'patch',
      resource: 'statefulsets',
      namespace: 'prod',
      name: 'zk',
    });
    assert.ok(e instanceof KubeError);
    assert.equal(e.status, 403);
    assert.equal(e.reason, 'Forbidden');
    assert.match(e.apiMessage, /User "dev" cannot create/);
    assert.match(e.message, /forbidden: statefulsets.apps is forbidden/);
    assert.match(e.hint!, /permission to patch statefulsets in namespace "prod"/);
    assert.match(e.hint!, /kubectl auth can-i patch statefulsets -n prod/);
  });

  it('an unreachable server names the URL and the context', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), {code: 'ECONNREFUSED'});
    const e = toKubeError(new TypeError('fetch failed', {cause}), target);
    assert.equal(e.status, 0);
    assert.equal(e.reason, 'ECONNREFUSED');
    assert.match(e.message, /cannot reach the Kubernetes API server at https:\/\/10\.0\.0\.1:6443/);
    assert.match(e.hint!, /context "prod"/);
  });

  it('NotFound, Conflict, Invalid, Unauthorized and server errors', () => {
    const nf = toKubeError(api(404, {reason: 'NotFound', message: 'statefulsets.apps "zk" not found'}), target, {verb: 'get', resource: 'statefulsets', namespace: 'x', name: 'zk'});
    assert.ok(nf.isNotFound);
    assert.match(nf.message, /statefulsets "zk" in namespace "x" not found/);
    assert.ok(toKubeError(api(409, {reason: 'Conflict', message: 'the object has been modified'}), target).isConflict);
    assert.match(toKubeError(api(422, {reason: 'Invalid', message: 'spec.replicas: Invalid value'}), target).message, /rejected.*spec.replicas/);
    assert.match(toKubeError(api(401, {message: 'Unauthorized'}), target).hint!, /credentials/);
    assert.match(toKubeError(api(503, {message: 'etcd down'}), target).message, /failed \(503\): etcd down/);
  });

  it('one error line with the hint, and exit codes: 1 for failures, 2 for usage', () => {
    const e = toKubeError(api(403, {message: 'no'}), target, {verb: 'list', resource: 'pods', namespace: 'a'});
    const d = describeError(e);
    assert.equal(d.code, 1);
    assert.doesNotMatch(d.line, /\n/);
    assert.match(d.line, /^forbidden: no \(you need permission to list pods/);
    assert.equal(describeError(new UsageError('bad', 'fix it')).code, 2);
    assert.equal(describeError(new UsageError('bad', 'fix it')).line, 'bad (fix it)');
  });
});

describe('retryOnConflict', () => {
  const conflict = () => new KubeError({status: 409, reason: 'Conflict', apiMessage: 'modified', message: 'modified'});
  it('a 409 rereads and writes again; the third conflict is thrown', async () => {
    const events: string[] = [];
    let n = 0;
    const v = await retryOnConflict(
      async () => {
        events.push('write');
        if (++n < 3) throw conflict();
        return 'ok';
      },
      async () => void events.push('reread'),
    );
    assert.equal(v, 'ok');
    assert.deepEqual(events, ['write', 'reread', 'write', 'reread', 'write']);
    await assert.rejects(
      retryOnConflict(
        async () => Promise.reject(conflict()),
        async () => undefined,
      ),
      /modified/,
    );
  });
  it('any other error is thrown at once', async () => {
    let rereads = 0;
    await assert.rejects(
      retryOnConflict(
        async () => Promise.reject(new KubeError({status: 404, reason: 'NotFound', apiMessage: 'gone', message: 'gone'})),
        async () => void rereads++,
      ),
      /gone/,
    );
    assert.equal(rereads, 0);
  });
});

describe('errorMessage', () => {
  it('reads the message of an error-like event, not "[object Object]"', () => {
    // what the ws library hands to a port-forward's rejection when the pod's node is gone
    assert.equal(errorMessage({type: 'error', message: 'connect EHOSTUNREACH 10.0.0.1:10250', error: new Error('x')}), 'connect EHOSTUNREACH 10.0.0.1:10250');
    assert.equal(errorMessage({error: new Error('socket hang up')}), 'socket hang up');
    assert.equal(errorMessage(new Error('plain')), 'plain');
    assert.equal(errorMessage('text'), 'text');
  });
});
