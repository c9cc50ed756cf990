import {Command} from '@oclif/core';

/**
 * `kubectl zk __complete ARG… CURRENT` (hidden): cobra-style completion.
 * kubectl runs `kubectl_complete-zk` from PATH with the words after `kubectl zk`;
 * that shim (bin/kubectl_complete-zk) runs `kubectl-zk __complete -- "$@"`.
 * The `--` keeps oclif from acting on a typed `--help`.
 */
export default class Complete extends Command {
  static override hidden = true;
  static override strict = false;
  static override summary = 'Shell completion for kubectl (cobra __complete protocol), used by kubectl_complete-zk.';

  async run(): Promise<void> {
    // no flags of its own: every word belongs to the command line being completed
    this.parsed = true;
    const args = this.argv[0] === '--' ? this.argv.slice(1) : this.argv;
    const [{planCompletion, commandMeta}, {answer, kubeSources}] = await Promise.all([import('../completion/plan.js'), import('../completion/sources.js')]);
    const commands = this.config.commands.map((c) => commandMeta(c as Parameters<typeof commandMeta>[0]));
    const topics = this.config.topics.map((t) => ({name: t.name, description: t.description}));
    const plan = planCompletion(args.length === 0 ? [''] : args, commands, topics);
    const sources = kubeSources(plan.kind === 'dynamic' ? plan.kube : {}, process.env);
    try {
      process.stdout.write(await answer(plan, sources));
    } finally {
      await sources.close();
    }
  }
}
