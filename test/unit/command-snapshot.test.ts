/**
 * The command interface, snapshotted (as salesforce's oclif plugins do): every
 * command's flags (name, char, kind, default, choices), arguments and output
 * formats, compared with test/fixtures/command-snapshot.json. A change of the
 * interface fails here until the snapshot is updated on purpose:
 *   UPDATE_SNAPSHOT=1 npx mocha test/unit/command-snapshot.test.ts
 */
import assert from 'node:assert/strict';
import {readFileSync, writeFileSync} from 'node:fs';
import {COMMANDS} from '../../src/commands.js';

const FILE = new URL('../fixtures/command-snapshot.json', import.meta.url);

type FlagLike = {type: string; char?: string; default?: unknown; options?: readonly string[]; multiple?: boolean; allowNo?: boolean; required?: boolean};
type ArgLike = {required?: boolean};
type CommandLike = {flags?: Record<string, FlagLike>; baseFlags?: Record<string, FlagLike>; args?: Record<string, ArgLike>; outputs?: readonly string[]; hidden?: boolean};

function flagShape(f: FlagLike): Record<string, unknown> {
  const out: Record<string, unknown> = {kind: f.type};
  if (f.char) out.char = f.char;
  if (f.default !== undefined && typeof f.default !== 'function') out.default = f.default;
  if (f.options) out.options = [...f.options];
  if (f.multiple) out.multiple = true;
  if (f.allowNo) out.allowNo = true;
  if (f.required) out.required = true;
  return out;
}

function snapshot(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [id, cmd] of Object.entries(COMMANDS as unknown as Record<string, CommandLike>).sort(([a], [b]) => a.localeCompare(b))) {
    const flags = {...cmd.baseFlags, ...cmd.flags};
    out[id] = {
      args: Object.fromEntries(Object.entries(cmd.args ?? {}).map(([name, a]) => [name, {required: Boolean(a.required)}])),
      flags: Object.fromEntries(
        Object.entries(flags)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, f]) => [name, flagShape(f)]),
      ),
      outputs: [...(cmd.outputs ?? [])],
    };
  }
  return out;
}

describe('command interface snapshot', () => {
  it("every command's flags, arguments and output formats are the committed ones", () => {
    const now = snapshot();
    if (process.env.UPDATE_SNAPSHOT) writeFileSync(FILE, `${JSON.stringify(now, null, 2)}\n`);
    const committed = JSON.parse(readFileSync(FILE, 'utf8')) as unknown;
    assert.deepEqual(now, committed, 'the command interface changed: if on purpose, run with UPDATE_SNAPSHOT=1 and commit test/fixtures/command-snapshot.json');
  });

  it('the snapshot would notice a changed flag', () => {
    const now = snapshot() as Record<string, {flags: Record<string, {default?: unknown}>}>;
    const changed = structuredClone(now);
    changed.restart!.flags.timeout!.default = '6m';
    assert.notDeepEqual(changed, now);
  });
});
