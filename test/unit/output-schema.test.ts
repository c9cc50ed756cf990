/**
 * The shape of every command's `-o json` output (scripts/output-schema.ts reads it
 * from the result types), compared with test/fixtures/output-schema.json, as
 * salesforce's oclif plugins compare their commands' JSON schemas: a change of
 * what a script may read fails here until the fixture is updated on purpose:
 *   UPDATE_SNAPSHOT=1 npx mocha test/unit/output-schema.test.ts
 * test/unit/command-inprocess*.test.ts check real outputs against the fixture.
 */
import assert from 'node:assert/strict';
import {readFileSync, writeFileSync} from 'node:fs';
import {outputSchemas} from '../../scripts/output-schema.js';
import {conforms} from '../support/shape.js';

const FILE = new URL('../fixtures/output-schema.json', import.meta.url);

describe('-o json output schema snapshot', function () {
  this.timeout(120_000);
  let now: ReturnType<typeof outputSchemas>;
  before(() => {
    now = outputSchemas();
  });

  it("every command's -o json shape is the committed one", () => {
    if (process.env.UPDATE_SNAPSHOT) writeFileSync(FILE, `${JSON.stringify(now, null, 2)}\n`);
    const committed = JSON.parse(readFileSync(FILE, 'utf8')) as unknown;
    assert.deepEqual(
      now,
      committed,
      "a command's -o json output changed shape: if on purpose, run UPDATE_SNAPSHOT=1 npx mocha test/unit/output-schema.test.ts and commit test/fixtures/output-schema.json",
    );
  });

  it('covers every command that prints a result, and would notice a renamed or retyped field', () => {
    assert.ok(
      ['status', 'list', 'create', 'scale', 'restart', 'upgrade', 'failover-test', 'znode:get'].every((id) => id in now),
      Object.keys(now).join(', '),
    );
    const list = now.list as Record<string, unknown>;
    const {ensembles, ...rest} = list;
    const renamed = {...rest, ensembles2: ensembles};
    assert.notDeepEqual(renamed, now.list);
    assert.deepEqual(conforms({namespace: 'a', allNamespaces: 'yes', ensembles: []}, now.list!).length > 0, true);
  });
});
