/**
 * Shell completion for `kubectl zk …`, as kubectl (≥ 1.26) asks for it: it runs
 * `kubectl_complete-zk ARG… CURRENT` and passes the answer through cobra, so the
 * answer is cobra's `__complete` format: one candidate per line (optionally
 * `value<TAB>description`), then `:<directive>`.
 *
 * This module is pure: the words → what to offer. src/completion/sources.ts
 * fetches the dynamic values (ensembles, namespaces, contexts, storage classes).
 */

/** cobra's ShellCompDirective bits. */
export const Directive = {
  default: 0,
  error: 1,
  noSpace: 2,
  noFileComp: 4,
  filterFileExt: 8,
  filterDirs: 16,
  keepOrder: 32,
} as const;

export interface FlagMeta {
  name: string;
  char?: string;
  /** false for boolean flags */
  takesValue: boolean;
  options?: readonly string[];
  summary?: string;
  hidden?: boolean;
  multiple?: boolean;
}

export interface CommandMeta {
  /** oclif id, topics joined by ":" (znode:get) */
  id: string;
  aliases: string[];
  hidden: boolean;
  summary?: string;
  flags: FlagMeta[];
  args: {name: string}[];
  /** -o values the command accepts */
  outputs: string[];
}

export interface TopicMeta {
  name: string;
  description?: string;
}

export type Source = 'ensembles' | 'namespaces' | 'contexts' | 'storageClasses';

export interface Candidate {
  value: string;
  description?: string;
}

export interface KubeWords {
  namespace?: string;
  context?: string;
  kubeconfig?: string;
  requestTimeout?: string;
}

export type Plan =
  /** fixed candidates, already filtered by what was typed */
  | {kind: 'values'; candidates: Candidate[]; directive: number}
  /** values from the cluster or kubeconfig; `prefix` goes in front of each (e.g. "--namespace=") */
  | {kind: 'dynamic'; source: Source; prefix: string; typed: string; kube: KubeWords}
  /** let the shell complete file names */
  | {kind: 'files'};

/** Flags whose values are file names. */
const FILE_FLAGS = new Set(['kubeconfig', 'file']);
const DYNAMIC_FLAGS: Record<string, Source> = {
  namespace: 'namespaces',
  context: 'contexts',
  ensemble: 'ensembles',
  'storage-class': 'storageClasses',
};
/** Commands whose NAME argument names an ensemble that exists (create's names a new one). */
const NEW_NAME_COMMANDS = new Set(['create']);

const none = (directive: number = Directive.noFileComp): Plan => ({kind: 'values', candidates: [], directive});

function filterTyped(candidates: Candidate[], typed: string): Candidate[] {
  return candidates.filter((c) => c.value.startsWith(typed));
}

interface Parsed {
  command?: CommandMeta;
  /** topic words typed so far, while no command is found */
  path: string[];
  positionals: number;
  used: Set<string>;
  pending?: FlagMeta;
  kube: KubeWords;
  /** an unknown command or flag: offer nothing */
  lost: boolean;
  afterDoubleDash: boolean;
}

function flagsOf(parsed: Parsed, base: FlagMeta[]): FlagMeta[] {
  return parsed.command?.flags ?? base;
}

function record(parsed: Parsed, flag: FlagMeta, value: string): void {
  if (flag.name === 'namespace') parsed.kube.namespace = value;
  else if (flag.name === 'context') parsed.kube.context = value;
  else if (flag.name === 'kubeconfig') parsed.kube.kubeconfig = value;
  else if (flag.name === 'request-timeout') parsed.kube.requestTimeout = value;
}

function findCommand(commands: CommandMeta[], id: string): CommandMeta | undefined {
  return commands.find((c) => c.id === id) ?? commands.find((c) => c.aliases.includes(id));
}

/** Walks the finished words as oclif will parse them. */
function parseWords(words: string[], commands: CommandMeta[], base: FlagMeta[]): Parsed {
  const p: Parsed = {path: [], positionals: 0, used: new Set(), kube: {}, lost: false, afterDoubleDash: false};
  for (const w of words) {
    if (p.pending) {
      record(p, p.pending, w);
      p.pending = undefined;
      continue;
    }
    if (!p.afterDoubleDash && w === '--') {
      p.afterDoubleDash = true;
      continue;
    }
    if (!p.afterDoubleDash && w.startsWith('--')) {
      const eq = w.indexOf('=');
      const name = w.slice(2, eq < 0 ? undefined : eq);
      const flag = flagsOf(p, base).find((f) => f.name === name);
      if (!flag) continue; // oclif will reject it; keep completing what follows
      p.used.add(flag.name);
      if (eq >= 0) record(p, flag, w.slice(eq + 1));
      else if (flag.takesValue) p.pending = flag;
      continue;
    }
    if (!p.afterDoubleDash && w.startsWith('-') && w.length > 1) {
      // -n ns, -nns, or bundled booleans such as -Aw
      for (let i = 1; i < w.length; i++) {
        const flag = flagsOf(p, base).find((f) => f.char === w[i]);
        if (!flag) break;
        p.used.add(flag.name);
        if (flag.takesValue) {
          if (i + 1 < w.length) record(p, flag, w.slice(i + 1));
          else p.pending = flag;
          break;
        }
      }
      continue;
    }
    if (!p.command) {
      p.path.push(w);
      const id = p.path.join(':');
      const cmd = findCommand(commands, id);
      if (cmd) p.command = cmd;
      else if (!commands.some((c) => c.id.startsWith(`${id}:`))) p.lost = true;
      if (p.lost) return p;
      continue;
    }
    p.positionals++;
  }
  return p;
}

function valuesFor(flag: FlagMeta, parsed: Parsed, prefix: string, typed: string): Plan {
  if (FILE_FLAGS.has(flag.name)) return prefix ? none(Directive.default) : {kind: 'files'};
  const source = DYNAMIC_FLAGS[flag.name];
  if (source) return {kind: 'dynamic', source, prefix, typed, kube: parsed.kube};
  let values: readonly string[] | undefined = flag.options;
  if (flag.name === 'output') values = parsed.command?.outputs ?? ['json', 'yaml'];
  if (!values) return none();
  return {
    kind: 'values',
    candidates: filterTyped(
      values.map((v) => ({value: `${prefix}${v}`})),
      `${prefix}${typed}`,
    ),
    directive: Directive.noFileComp,
  };
}

/** The next level of commands and topics under the typed path. */
function subcommands(commands: CommandMeta[], topics: TopicMeta[], path: string[], typed: string): Candidate[] {
  const depth = path.length;
  const seen = new Map<string, Candidate>();
  for (const c of commands) {
    if (c.hidden) continue;
    const parts = c.id.split(':');
    if (parts.length <= depth || parts.slice(0, depth).join(':') !== path.join(':')) continue;
    const next = parts[depth]!;
    if (seen.has(next)) continue;
    if (parts.length === depth + 1) {
      seen.set(next, {value: next, description: c.summary});
    } else {
      const topic = topics.find((t) => t.name === parts.slice(0, depth + 1).join(':'));
      seen.set(next, {value: next, description: topic?.description});
    }
  }
  return filterTyped(
    [...seen.values()].sort((a, b) => a.value.localeCompare(b.value)),
    typed,
  );
}

/**
 * `args` is what kubectl passes: the words after `kubectl zk`, the last one
 * being the word under the cursor ("" for a new word).
 */
export function planCompletion(args: string[], commands: CommandMeta[], topics: TopicMeta[] = []): Plan {
  const words = args.slice(0, -1);
  const typed = args.at(-1) ?? '';
  // before a command is known, the kubectl flags every command takes
  const base = commands.find((c) => !c.hidden)?.flags.filter((f) => ['namespace', 'context', 'kubeconfig', 'request-timeout'].includes(f.name)) ?? [];
  const p = parseWords(words, commands, base);
  if (p.lost) return none();
  if (p.pending) return valuesFor(p.pending, p, '', typed);

  if (!p.afterDoubleDash && typed.startsWith('-')) {
    const flags = flagsOf(p, base).filter((f) => !f.hidden);
    const eq = typed.indexOf('=');
    if (typed.startsWith('--') && eq > 0) {
      const flag = flags.find((f) => f.name === typed.slice(2, eq));
      return flag?.takesValue ? valuesFor(flag, p, typed.slice(0, eq + 1), typed.slice(eq + 1)) : none();
    }
    const candidates = flags
      .filter((f) => f.multiple || !p.used.has(f.name))
      .map((f) => ({value: `--${f.name}`, description: f.summary}))
      .sort((a, b) => a.value.localeCompare(b.value));
    return {kind: 'values', candidates: filterTyped(candidates, typed), directive: Directive.noFileComp};
  }

  if (!p.command) return {kind: 'values', candidates: subcommands(commands, topics, p.path, typed), directive: Directive.noFileComp};

  const arg = p.command.args[p.positionals];
  if (arg?.name === 'name' && !NEW_NAME_COMMANDS.has(p.command.id)) {
    return {kind: 'dynamic', source: 'ensembles', prefix: '', typed, kube: p.kube};
  }
  return none();
}

/** cobra's answer: candidates one per line, then `:<directive>`. */
export function formatCompletion(candidates: Candidate[], directive: number): string {
  const lines = candidates.map((c) => {
    // a description must stay on one line and must not contain another tab
    const d = c.description?.replace(/\s+/g, ' ').trim();
    return d ? `${c.value}\t${d}` : c.value;
  });
  return `${[...lines, `:${directive}`].join('\n')}\n`;
}

/** oclif's cached command (Command.Loadable) → what completion needs. */
export function commandMeta(cmd: {
  id: string;
  aliases?: string[];
  hidden?: boolean;
  summary?: string;
  description?: string;
  flags?: Record<string, {name: string; char?: string; type: string; options?: readonly string[]; summary?: string; description?: string; hidden?: boolean; multiple?: boolean}>;
  args?: Record<string, {name: string}>;
  outputs?: unknown;
}): CommandMeta {
  return {
    id: cmd.id,
    aliases: cmd.aliases ?? [],
    hidden: Boolean(cmd.hidden),
    summary: cmd.summary ?? cmd.description?.split('\n')[0],
    flags: Object.values(cmd.flags ?? {}).map((f) => ({
      name: f.name,
      char: f.char,
      takesValue: f.type === 'option',
      options: f.options,
      summary: f.summary ?? f.description,
      hidden: f.hidden,
      multiple: f.multiple,
    })),
    args: Object.values(cmd.args ?? {}).map((a) => ({name: a.name})),
    outputs: Array.isArray(cmd.outputs) ? cmd.outputs.filter((o): o is string => typeof o === 'string' && o !== 'human') : ['json', 'yaml'],
  };
}
