/**
 * Lists functions longer than LIMIT lines (first to last line) in src/, scripts/ and bench/,
 * longest first. Exits 1 when one is outside KNOWN (part of `npm run lint`).
 *   tsx scripts/long-functions.ts [--all]   (--all: also the known ones, and every function's length over 60)
 */
import {readdirSync, readFileSync} from 'node:fs';
import {join, relative} from 'node:path';
import ts from 'typescript';

const LIMIT = 80;
const ROOTS = ['src', 'scripts', 'bench'];
/** Files whose long functions are listed, not refused: none now (every function is at most LIMIT lines). */
const KNOWN: RegExp[] = [];

export interface LongFunction {
  file: string;
  name: string;
  line: number;
  lines: number;
}

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (/\.(ts|mts)$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

function nameOf(node: ts.Node, sf: ts.SourceFile): string {
  const named = node as ts.Node & {name?: ts.Node};
  if (named.name) return named.name.getText(sf);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText(sf);
  if (ts.isCallExpression(parent)) return `(callback of ${parent.expression.getText(sf).slice(0, 40)})`;
  return '(anonymous)';
}

/** Every function-like node of a file with its length in lines. */
export function functionLengths(file: string, text: string): LongFunction[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: LongFunction[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      out.push({file, name: nameOf(node, sf), line: start + 1, lines: end - start + 1});
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function main(): number {
  const all = process.argv.includes('--all');
  const root = new URL('..', import.meta.url).pathname;
  const found = ROOTS.flatMap((r) => [...tsFiles(join(root, r))])
    .flatMap((p) => functionLengths(relative(root, p), readFileSync(p, 'utf8')))
    .filter((f) => f.lines > (all ? 60 : LIMIT))
    .sort((a, b) => b.lines - a.lines);
  const known = (f: LongFunction) => KNOWN.some((re) => re.test(f.file));
  const refused = found.filter((f) => f.lines > LIMIT && !known(f));
  for (const f of all ? found : refused) console.log(`${String(f.lines).padStart(4)}  ${f.file}:${f.line}  ${f.name}${known(f) ? '  (known)' : ''}`);
  if (refused.length) console.error(`error: ${refused.length} function(s) longer than ${LIMIT} lines: split them (tsx scripts/long-functions.ts --all lists the rest)`);
  return refused.length ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main();
