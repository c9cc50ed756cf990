/**
 * The shape of every command's `-o json` output, read from the result type its
 * `execute` returns (src/commands.ts's COMMANDS, through the TypeScript checker):
 * what a script reading that JSON may rely on. test/unit/output-schema.test.ts
 * compares it with test/fixtures/output-schema.json.
 *   tsx scripts/output-schema.ts      prints it
 *
 * A shape is a string for a scalar ("string", "number", "boolean", "null", a literal
 * such as "\"leader\"", or a library type's name), {"array": shape}, {"tuple": [...]},
 * {"anyOf": [...]}, or an object {"key": shape, "optional?": shape}.
 */
import {fileURLToPath} from 'node:url';
import ts from 'typescript';

export type Shape = string | {array: Shape} | {tuple: Shape[]} | {anyOf: Shape[]} | {[key: string]: Shape};

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function describer(checker: ts.TypeChecker) {
  const visiting = new Set<ts.Type>();
  const fromLibrary = (t: ts.Type) => (t.aliasSymbol ?? t.getSymbol())?.declarations?.some((d) => d.getSourceFile().fileName.includes('/node_modules/')) ?? false;

  const scalar = (t: ts.Type): string | undefined => {
    const f = t.flags;
    if (f & ts.TypeFlags.StringLiteral) return JSON.stringify((t as ts.StringLiteralType).value);
    if (f & ts.TypeFlags.NumberLiteral) return String((t as ts.NumberLiteralType).value);
    if (f & ts.TypeFlags.BooleanLiteral) return checker.typeToString(t);
    if (f & (ts.TypeFlags.String | ts.TypeFlags.TemplateLiteral)) return 'string';
    if (f & ts.TypeFlags.Number) return 'number';
    if (f & ts.TypeFlags.Boolean) return 'boolean';
    if (f & ts.TypeFlags.BigInt) return 'bigint';
    if (f & ts.TypeFlags.Null) return 'null';
    if (f & ts.TypeFlags.Undefined) return 'undefined';
    if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return 'unknown';
    return undefined;
  };

  const union = (t: ts.UnionType, dropUndefined: boolean): Shape => {
    let parts = t.types.filter((m) => !(dropUndefined && m.flags & ts.TypeFlags.Undefined)).map((m) => describe(m));
    if (parts.includes('true') && parts.includes('false')) parts = [...parts.filter((p) => p !== 'true' && p !== 'false'), 'boolean'];
    const unique = [...new Map(parts.map((p) => [JSON.stringify(p), p])).values()].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return unique.length === 1 ? unique[0]! : {anyOf: unique};
  };

  const object = (t: ts.Type): Shape => {
    const out: Record<string, Shape> = {};
    for (const p of checker.getPropertiesOfType(t).sort((a, b) => a.name.localeCompare(b.name))) {
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      const pt = decl ? checker.getTypeOfSymbolAtLocation(p, decl) : checker.getTypeOfSymbol(p);
      if (checker.getSignaturesOfType(pt, ts.SignatureKind.Call).length > 0) continue; // not in JSON
      const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
      out[optional ? `${p.name}?` : p.name] = pt.isUnion() ? union(pt, optional) : describe(pt);
    }
    const index = checker.getIndexInfosOfType(t);
    for (const i of index) out[`[key: ${checker.typeToString(i.keyType)}]`] = describe(i.type);
    return out;
  };

  function describe(t: ts.Type): Shape {
    const s = scalar(t);
    if (s) return s;
    if (t.isUnion()) return union(t, false);
    if (checker.isArrayType(t)) return {array: describe(checker.getTypeArguments(t as ts.TypeReference)[0]!)};
    if (checker.isTupleType(t)) return {tuple: checker.getTypeArguments(t as ts.TypeReference).map(describe)};
    const name = t.getSymbol()?.name;
    if (name === 'Date') return 'Date (ISO string)';
    if (fromLibrary(t) || visiting.has(t)) return checker.typeToString(t);
    visiting.add(t);
    try {
      return object(t);
    } finally {
      visiting.delete(t);
    }
  }
  return describe;
}

/** command id → the shape of its `-o json` output; commands without `execute` (the completion hook) are left out. */
export function outputSchemas(): Record<string, Shape> {
  const config = ts.getParsedCommandLineOfConfigFile(`${ROOT}tsconfig.build.json`, {}, {...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined});
  if (!config) throw new Error('tsconfig.build.json not readable');
  const program = ts.createProgram({rootNames: [`${ROOT}src/commands.ts`], options: config.options});
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(`${ROOT}src/commands.ts`)!;
  const describe = describer(checker);
  const commands = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).find((s) => s.name === 'COMMANDS')!;
  const out: Record<string, Shape> = {};
  for (const cmd of checker.getPropertiesOfType(checker.getTypeOfSymbol(commands)).sort((a, b) => a.name.localeCompare(b.name))) {
    const ctor = checker.getTypeOfSymbol(cmd);
    const instance = checker.getReturnTypeOfSignature(ctor.getConstructSignatures()[0]!);
    const execute = instance.getProperty('execute');
    if (!execute) continue;
    const sig = checker.getTypeOfSymbol(execute).getCallSignatures()[0]!;
    const promised = checker.getAwaitedType(checker.getReturnTypeOfSignature(sig))!;
    out[cmd.name] = describe(promised);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(outputSchemas(), null, 2));
