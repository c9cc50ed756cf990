import assert from 'node:assert/strict';
import {UsageError} from '../../src/errors.js';
import {DEFAULT_IMAGE, validateEnsembleOptions, validateName} from '../../src/manifests/options.js';
import {parseHeapMb, parseQuantity} from '../../src/util/quantity.js';
import {formatDuration, parseDuration} from '../../src/util/duration.js';

const base = {name: 'zk', namespace: 'default'};

function rejects(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof UsageError && e.exitCode === 2 && re.test(`${e.message} ${e.hint ?? ''}`));
}

describe('option validation', () => {
  it('accepts the defaults: 3 members, 1Gi volumes, half the memory as heap', () => {
    const {options, warnings} = validateEnsembleOptions(base);
    assert.equal(options.replicas, 3);
    assert.deepEqual(options.storage, {ephemeral: false, size: '1Gi', storageClass: undefined});
    assert.equal(options.heapMb, 512);
    assert.equal(options.image, DEFAULT_IMAGE);
    assert.deepEqual(warnings, []);
  });

  it('names: DNS-1035 labels of at most 52 characters', () => {
    for (const ok of ['zk', 'a', 'zk-prod-1', 'a'.repeat(52)]) validateName(ok);
    rejects(() => validateName('Zk'), /invalid ensemble name/);
    rejects(() => validateName('1zk'), /starting with a letter/);
    rejects(() => validateName('zk-'), /invalid/);
    rejects(() => validateName('zk_1'), /invalid/);
    rejects(() => validateName('a'.repeat(53)), /at most 52/);
    rejects(() => validateName(''), /required/);
  });

  it('replicas 1-255, warns for even sizes and for fewer than 3', () => {
    rejects(() => validateEnsembleOptions({...base, replicas: 0}), /between 1 and 255/);
    rejects(() => validateEnsembleOptions({...base, replicas: 256}), /between 1 and 255/);
    rejects(() => validateEnsembleOptions({...base, replicas: 2.5}), /between 1 and 255/);
    assert.match(validateEnsembleOptions({...base, replicas: 4}).warnings.join(), /odd size/);
    assert.match(validateEnsembleOptions({...base, replicas: 1}).warnings.join(), /losing any member/);
    assert.equal(validateEnsembleOptions({...base, replicas: 255}).options.replicas, 255);
  });

  it('quantities, heap, storage and their conflicts', () => {
    rejects(() => validateEnsembleOptions({...base, memory: '1GB'}), /invalid quantity/);
    rejects(() => validateEnsembleOptions({...base, memory: '64Mi'}), /too small/);
    rejects(() => validateEnsembleOptions({...base, memory: '512Mi', heap: '500m'}), /75%/);
    rejects(() => validateEnsembleOptions({...base, memory: '1Gi', heap: '800m'}), /at most 75% of the memory limit \(768m here\)/); // 78%: accepted under the old 85% rule
    assert.equal(validateEnsembleOptions({...base, memory: '1Gi', heap: '768m'}).options.heapMb, 768);
    assert.equal(validateEnsembleOptions({...base, memory: '512Mi'}).options.heapMb, 256);
    assert.equal(validateEnsembleOptions({...base, memory: '2Gi', heap: '1g'}).options.heapMb, 1024);
    rejects(() => validateEnsembleOptions({...base, cpu: 'lots'}), /invalid quantity/);
    rejects(() => validateEnsembleOptions({...base, storage: '10 Gi'}), /invalid quantity/);
    rejects(() => validateEnsembleOptions({...base, ephemeral: true, storage: '1Gi'}), /cannot be combined/);
    rejects(() => validateEnsembleOptions({...base, storageClass: 'Fast SSD'}), /storage-class/);
    assert.match(validateEnsembleOptions({...base, ephemeral: true}).warnings.join(), /lost with the pods/);
  });

  it('image, pull policy, cluster domain and ZooKeeper timing', () => {
    rejects(() => validateEnsembleOptions({...base, image: 'Zoo Keeper'}), /invalid image/);
    rejects(() => validateEnsembleOptions({...base, imagePullPolicy: 'Sometimes'}), /image-pull-policy/);
    rejects(() => validateEnsembleOptions({...base, clusterDomain: 'cluster..local'}), /cluster-domain/);
    rejects(() => validateEnsembleOptions({...base, tickTime: 10}), /tick-time/);
    rejects(() => validateEnsembleOptions({...base, syncLimit: 0}), /sync-limit/);
    rejects(() => validateEnsembleOptions({...base, namespace: 'Prod'}), /namespace/);
    assert.equal(validateEnsembleOptions({...base, image: 'localhost:5000/kubectl-zk/zookeeper:3.8.0-debian'}).options.image, 'localhost:5000/kubectl-zk/zookeeper:3.8.0-debian');
  });

  it('parses Kubernetes quantities, JVM heaps and durations', () => {
    assert.equal(parseQuantity('512Mi', 'm'), 512 * 2 ** 20);
    assert.equal(parseQuantity('1G', 'm'), 1e9);
    assert.equal(parseQuantity('250m', 'cpu'), 0.25);
    assert.equal(parseQuantity('1.5', 'cpu'), 1.5);
    assert.equal(parseQuantity('1e3', 'x'), 1000);
    assert.equal(parseHeapMb('256m'), 256);
    assert.equal(parseHeapMb('256Mi'), 256);
    assert.equal(parseHeapMb('2G'), 2048);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('10'), 10_000);
    assert.throws(() => parseDuration('5 minutes'), UsageError);
    assert.equal(formatDuration(179_900), '3m');
    assert.equal(formatDuration(90_400), '1m30s');
    assert.equal(formatDuration(1234), '1.23s');
    assert.throws(() => parseDuration(''), UsageError);
  });
});
