import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {forwardingPort, kubectlForwardArgs, kubectlPortForward, type KubectlForwardOptions} from '../../src/kube/kubectl-forward.js';

/** A stand-in for kubectl: a real process running `script` (it gets kubectl's arguments after it). */
const fakeKubectl =
  (script: string, seen?: string[][]): KubectlForwardOptions['spawn'] =>
  (_cmd, args, opts) => {
    seen?.push(args);
    return spawn(process.execPath, ['-e', script, '--', ...args], opts);
  };

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('kubectl port-forward (src/kube/kubectl-forward.ts)', () => {
  it("passes the plugin's kubeconfig (only when given), context and namespace; lets kubectl pick the local port on 127.0.0.1", () => {
    assert.deepEqual(kubectlForwardArgs({namespace: 'prod', pod: 'zk-0', port: 8080, context: 'ctx'}), [
      '--context',
      'ctx',
      'port-forward',
      '--namespace',
      'prod',
      '--address',
      '127.0.0.1',
      'pod/zk-0',
      ':8080',
    ]);
    assert.deepEqual(kubectlForwardArgs({namespace: 'n', pod: 'p', port: 2181, kubeconfig: '/k/c', context: 'c'}).slice(0, 4), ['--kubeconfig', '/k/c', '--context', 'c']);
  });

  it('reads the local port from the "Forwarding from" line of the right target', () => {
    assert.equal(forwardingPort('Forwarding from 127.0.0.1:40123 -> 8080\n', 8080), 40123);
    assert.equal(forwardingPort('Forwarding from 127.0.0.1:40123 -> 80800\n', 8080), undefined);
    assert.equal(forwardingPort('Forwarding from [::1]:40123 -> 8080\n', 8080), undefined);
    assert.equal(forwardingPort('Forwarding from 127.0.0.1:4', 8080), undefined);
  });

  it('resolves with that port once the line is whole (split over writes), and close() stops kubectl', async () => {
    const seen: string[][] = [];
    const script = "process.stdout.write('Forwarding from 127.0.0.1:4'); setTimeout(() => process.stdout.write('1234 -> 8080\\nHandling connection for 8080\\n'), 50); setInterval(() => {}, 1000)";
    const fwd = await kubectlPortForward({namespace: 'ns', pod: 'zk-1', port: 8080, context: 'c', spawn: fakeKubectl(script, seen)});
    assert.equal(fwd.port, 41234);
    assert.equal(fwd.host, '127.0.0.1');
    assert.deepEqual(seen[0]!.slice(-2), ['pod/zk-1', ':8080']);
    await fwd.close();
  });

  it('kubectl that exits first (pod not found, no permission) fails with its stderr; a silent one times out and is stopped', async () => {
    await assert.rejects(
      kubectlPortForward({namespace: 'ns', pod: 'zk-9', port: 8080, spawn: fakeKubectl('console.error(\'error: pods "zk-9" not found\'); process.exit(1)')}),
      /kubectl port-forward ns\/zk-9:8080: kubectl exited \(code 1\): error: pods "zk-9" not found/,
    );
    let pid = 0;
    const silent: KubectlForwardOptions['spawn'] = (cmd, args, opts) => {
      const c = fakeKubectl('setInterval(() => {}, 1000)')!(cmd, args, opts);
      pid = c.pid!;
      return c;
    };
    await assert.rejects(kubectlPortForward({namespace: 'ns', pod: 'zk-0', port: 8080, timeoutMs: 300, spawn: silent}), /no "Forwarding from" line within 0s/);
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(alive(pid), false, 'kubectl stopped');
  });

  it('no kubectl on PATH: one clear error', async () => {
    await assert.rejects(kubectlPortForward({namespace: 'ns', pod: 'zk-0', port: 8080, kubectl: '/nonexistent/kubectl'}), /\/nonexistent\/kubectl is not on PATH/);
  });
});
