/**
 * Prettier over the files listed in scripts/prettier-scope.txt.
 *   tsx scripts/format.ts check   prettier --check on the listed files (part of npm test)
 *   tsx scripts/format.ts all     prettier --write on every .ts/.js file, then the list becomes the whole tree
 */
import {spawnSync} from 'node:child_process';
import {readFileSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';

const SCOPE = new URL('./prettier-scope.txt', import.meta.url);
const WHOLE_TREE = ['**/*.ts', '**/*.js'];
const WHOLE_TREE_HEADER = '# Files `npm test` checks with prettier (`npm run format:check`): every TypeScript/JavaScript file (.prettierignore leaves out dist/ and the rest).';
const prettierBin = createRequire(import.meta.url).resolve('prettier/bin/prettier.cjs');

function readScope(): string[] {
  return readFileSync(SCOPE, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

function prettier(args: string[]): number {
  return spawnSync(process.execPath, [prettierBin, ...args], {stdio: 'inherit'}).status ?? 1;
}

function main(mode: string | undefined): number {
  if (mode === 'check') {
    const code = prettier(['--check', ...readScope()]);
    if (code !== 0) console.error('error: files above are not formatted: npx prettier --write <file> (the list: scripts/prettier-scope.txt)');
    return code;
  }
  if (mode === 'all') {
    const code = prettier(['--write', '--log-level', 'warn', ...WHOLE_TREE]);
    if (code === 0) writeFileSync(SCOPE, `${[WHOLE_TREE_HEADER, ...WHOLE_TREE].join('\n')}\n`);
    return code;
  }
  console.error('usage: tsx scripts/format.ts check|all');
  return 2;
}

process.exitCode = main(process.argv[2]);
