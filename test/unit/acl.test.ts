import assert from 'node:assert/strict';
import {aclKey, enforceSystemAcls, grantsAnyoneAdmin, permLetters, SYSTEM_ACLS, systemAclDrift} from '../../src/ops/acl.js';
import type {Acl, ZkClient} from '../../src/zk/client.js';

function zkWith(acls: Record<string, Acl[]>) {
  const sets: string[] = [];
  const client = {
    getAcl: async (p: string) => ({acl: acls[p]!, stat: {aversion: 3}}),
    setAcl: async (p: string, acl: readonly Acl[], version: number) => {
      sets.push(`${p} ${aclKey(acl)} v${version}`);
      acls[p] = [...acl];
    },
  } as unknown as ZkClient;
  return {client, sets, acls};
}

describe('system ACLs', () => {
  it('permLetters and aclKey normalise masks and letters alike', () => {
    assert.equal(permLetters(31), 'cdrwa');
    assert.equal(permLetters('arwdc'), 'cdrwa');
    assert.equal(permLetters(15), 'cdrw');
    assert.equal(aclKey([{perms: 15, scheme: 'world', id: 'anyone'}]), aclKey([{perms: 'rwcd', scheme: 'world', id: 'anyone'}]));
  });

  it("no wanted ACL lets world:anyone administer; ZooKeeper's default does", () => {
    for (const {path, acl} of SYSTEM_ACLS) assert.equal(grantsAnyoneAdmin(acl), false, path);
    assert.equal(grantsAnyoneAdmin([{perms: 31, scheme: 'world', id: 'anyone'}]), true);
    assert.equal(grantsAnyoneAdmin([{perms: 31, scheme: 'digest', id: 'super:x'}]), false);
  });

  it('the root keeps create, read, write and delete for applications', () => {
    const root = SYSTEM_ACLS.find((a) => a.path === '/')!;
    assert.equal(aclKey(root.acl), 'world:anyone:cdrw');
  });

  it('enforce sets only what differs and reports it; a second run changes nothing', async () => {
    const open: Acl[] = [{perms: 31, scheme: 'world', id: 'anyone'}];
    const z = zkWith({'/': open, '/zookeeper': [{perms: 1, scheme: 'world', id: 'anyone'}], '/zookeeper/quota': open});
    const changes = await enforceSystemAcls(z.client);
    assert.deepEqual(
      changes.map((c) => c.path),
      ['/', '/zookeeper/quota'],
    );
    assert.deepEqual(z.sets, ['/ world:anyone:cdrw v-1', '/zookeeper/quota world:anyone:cdrw v-1']);
    assert.deepEqual(await systemAclDrift(z.client), []);
    assert.deepEqual(await enforceSystemAcls(z.client), []);
    assert.equal(z.sets.length, 2);
  });

  it('an ACL someone else set (an extra identity with ADMIN) is drift, and is replaced', async () => {
    const z = zkWith({
      '/': [
        {perms: 15, scheme: 'world', id: 'anyone'},
        {perms: 31, scheme: 'digest', id: 'mallory:abc'},
      ],
      '/zookeeper': [{perms: 1, scheme: 'world', id: 'anyone'}],
      '/zookeeper/quota': [{perms: 15, scheme: 'world', id: 'anyone'}],
    });
    const drift = await systemAclDrift(z.client);
    assert.deepEqual(drift, [{path: '/', before: 'digest:mallory:abc:cdrwa,world:anyone:cdrw', after: 'world:anyone:cdrw'}]);
    await enforceSystemAcls(z.client);
    assert.equal(aclKey(z.acls['/']!), 'world:anyone:cdrw');
  });
});
