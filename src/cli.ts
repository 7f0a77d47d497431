import { Command, CommanderError, Help, Option } from 'commander';
import { commandTree } from './commands/index.js';
import { isGroup, jsonOption, type CommandDef, type Flags } from './cli/define.js';
import type { Streams } from './io.js';
import type { GlobalOptions } from './context.js';
import type { AwsApis } from './aws/apis.js';
import type { ProcessRunner } from './process.js';
import { ExitCode, SgnError, UsageError } from './errors.js';
import { version } from './version.js';

export interface MainDeps {
  streams?: Streams;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  now?: () => Date;
  /** Aborted on Ctrl-C; main() installs its own SIGINT/SIGTERM handlers when omitted. */
  signal?: AbortSignal;
  /** The AWS adapters (unit tests pass fakes of the narrow interfaces). */
  api?: AwsApis;
  /** The child-process runner (unit tests pass a fake editor or git). */
  processes?: ProcessRunner;
}

/** Collects a repeatable flag's values (no default: help would show "(default: [])"). */
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Help is wrapped to the terminal it is shown on, and to 80 columns when not a terminal. */
const helpWidthOf = (s: Streams['stdout']) => (s.isTTY ? (s.columns ?? 80) : 80);

/**
 * Descriptions as paragraphs: lines broken by hand inside a paragraph are joined, so that
 * commander wraps each paragraph at word boundaries for the terminal's width (a break made for
 * 80 columns splits a sentence at any other width). Blank lines and indented lines stay.
 */
function paragraphs(text: string): string {
  return text.replace(/([^\n])\n(?=[^\s])/g, (_m, last: string) => `${last} `);
}

/** Builds the commander tree. Actions import their command's service only when they run. */
function buildProgram(streams: Streams, onAction: (def: CommandDef, cmd: Command, args: string[]) => void): Command {
  const program = new Command('sgn')
    .description('Promote builds, see what runs where, tail build logs, edit app config and mirror images for the Kubernetes-on-AWS pipeline (CodePipeline, CodeBuild, ECR and the deployer Lambda).')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    // Wrap descriptions beside long command names too (commander's default gives up below 40
    // columns, and the terminal then breaks the line mid-word at 80).
    .configureHelp({ minWidthToWrap: 20 })
    .addOption(new Option('--region <region>', 'AWS region'))
    .addOption(new Option('--profile <name>', 'AWS profile'))
    .option('--sandbox', 'use the local sandbox (`sgn sandbox start`) instead of AWS (or SGN_SANDBOX=1)')
    .option('-c, --setting <key=value>', 'override one of sgn\'s settings for this run (repeatable)', collect)
    .option('--no-color', 'no colour (also NO_COLOR=1, or when output is not a terminal)')
    .option('--debug', 'show debug lines and stack traces (never secrets)')
    // Listed in help; main() turns `sgn help a b` into `sgn a b --help` before commander parses.
    .helpCommand('help [command...]', 'show help for a command (the same as <command> --help)')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => streams.stdout.write(s),
      writeErr: (s) => streams.stderr.write(s),
      getOutHelpWidth: () => helpWidthOf(streams.stdout),
      getErrHelpWidth: () => helpWidthOf(streams.stderr),
      outputError: (s, write) => write(s.replace(/^error: /, 'sgn: ')),
    })
    // Wrapped at word boundaries like the rest of the help (commander leaves this text as it is).
    .addHelpText('after', () =>
      new Help().boxWrap(
        '\nGet started without AWS:\n  $ sgn sandbox start\n  $ sgn --sandbox ls deployed\n\nExit codes: 0 ok, 1 failed, 2 usage, 3 cancelled, 4 credentials/access, 5 conflict (lock held, config changed meanwhile), 130 interrupted. Run `sgn <command> --help` for examples.',
        helpWidthOf(streams.stdout),
      ),
    );

  const addCommand = (parent: Command, def: CommandDef) => {
    const cmd = parent.command(def.arguments ? `${def.name} ${def.arguments}` : def.name).summary(def.summary).description(paragraphs(def.description ?? def.summary));
    for (const alias of def.aliases ?? []) cmd.alias(alias);
    def.options?.(cmd);
    if (def.json) jsonOption(cmd);
    cmd.helpOption('-h, --help', 'show help');
    cmd.addHelpText('after', '\nExamples:\n' + def.examples.map((e) => `  $ ${e}`).join('\n'));
    cmd.action((...all: unknown[]) => {
      const self = all[all.length - 1] as Command;
      // A variadic last argument (`<KEY=VALUE...>`) takes every remaining word.
      const count = self.registeredArguments.at(-1)?.variadic ? self.args.length : self.registeredArguments.length;
      onAction(def, self, self.args.slice(0, count).filter((a): a is string => typeof a === 'string'));
    });
  };
  for (const def of commandTree) {
    if (isGroup(def)) {
      const group = program.command(def.name).summary(def.summary).description(def.summary);
      group.helpOption('-h, --help', 'show help');
      group.addHelpCommand(false);
      for (const sub of def.commands) addCommand(group, sub);
    } else {
      addCommand(program, def);
    }
  }
  return program;
}

/**
 * Every argv that only shows a help screen: none, `--help`/`-h`, and `<group> [command] --help`
 * (aliases too). The build renders each through main() into dist/help/ for the launcher.
 */
export function helpInvocations(): string[][] {
  const sink = { write: () => true } as never;
  const program = buildProgram({ stdout: sink, stderr: sink, stdin: sink }, () => undefined);
  const out: string[][] = [[]];
  const walk = (cmd: Command, path: string[]) => {
    for (const flag of ['--help', '-h']) out.push([...path, flag]);
    for (const sub of cmd.commands) for (const name of [sub.name(), ...sub.aliases()]) walk(sub, [...path, name]);
  };
  walk(program, []);
  return out;
}

function parseSettingFlags(pairs: string[]): Promise<GlobalOptions['settings']> {
  return (async () => {
    if (pairs.length === 0) return {};
    const { isSettingKey, settingKeys } = await import('./settings/schema.js');
    const { parseSettingText } = await import('./settings/load.js');
    const out: GlobalOptions['settings'] = {};
    for (const pair of pairs) {
      const m = /^([^=]+)=(.*)$/.exec(pair);
      if (!m) throw new UsageError(`-c takes key=value, not "${pair}".`, 'Example: sgn -c table=my_deploys ls deployed');
      const key = m[1].trim();
      if (!isSettingKey(key)) throw new UsageError(`Unknown setting "${key}" in -c.`, `Known settings: ${settingKeys.join(', ')}.`);
      out[key] = parseSettingText(key, m[2], `-c ${key}`);
    }
    return out;
  })();
}

/**
 * The argv that `sgn help <words...>` stands for: `<command path> --help`. Words after a command
 * that has no subcommands are ignored (`sgn help deploy web` is deploy's help); an unknown
 * command name is left without --help, so that commander reports it (with a suggestion) as usual.
 */
function helpArgv(program: Command, words: string[]): string[] {
  let node = program;
  const path: string[] = [];
  for (const word of words) {
    if (node.commands.length === 0) break;
    const sub = node.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!sub) return [...path, word];
    path.push(word);
    node = sub;
  }
  return [...path, '--help'];
}

/** Runs sgn with the given arguments and returns the exit code. Nothing else ends the process. */
export async function main(argv: string[], deps: MainDeps = {}): Promise<number> {
  const streams = deps.streams ?? { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
  const env = deps.env ?? process.env;
  let selected: { def: CommandDef; cmd: Command; args: string[] } | undefined;
  const program = buildProgram(streams, (def, cmd, args) => {
    selected = { def, cmd, args };
  });
  const debugWanted = argv.includes('--debug');

  // `sgn` alone is `sgn --help` (the launcher answers both from one pre-rendered screen).
  if (argv.length === 0) argv = ['--help'];
  // `sgn help [command...]` is `sgn [command...] --help`.
  if (argv[0] === 'help') argv = helpArgv(program, argv.slice(1));
  // What the completion scripts run on TAB (hidden): candidates from this very program.
  if (argv[0] === '__complete') {
    const { runComplete } = await import('./cli/complete.js');
    return runComplete(program, argv.slice(1), { streams, env, cwd: deps.cwd ?? process.cwd(), now: deps.now, api: deps.api, parseSettings: parseSettingFlags });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitCode.ok;
      // commander has already printed its one-line message; --json still gets its one document.
      if (argv.includes('--json')) {
        const [message, suggestion] = e.message.replace(/^error: /, '').split('\n');
        const hint = suggestion?.replace(/^\((.*)\)$/, '$1') ?? 'See `sgn <command> --help`.';
        streams.stdout.write(JSON.stringify({ error: { code: 'usage', message, hint, exitCode: ExitCode.usage } }, null, 2) + '\n');
      }
      return ExitCode.usage;
    }
    throw e;
  }
  if (!selected) return ExitCode.ok;

  const controller = new AbortController();
  const signal = deps.signal ?? controller.signal;
  const onSignal = () => {
    if (controller.signal.aborted) {
      // A second Ctrl-C: stop waiting for clean-up and let the default handler end the process.
      process.removeListener('SIGINT', onSignal);
      process.kill(process.pid, 'SIGINT');
      return;
    }
    controller.abort(new SgnError('Interrupted.', { exitCode: ExitCode.interrupted }));
  };
  if (!deps.signal) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const { createContext } = await import('./context.js');
  let ctx: ReturnType<typeof createContext> | undefined;
  const { def, cmd, args } = selected;
  const flags = cmd.opts() as Flags;
  const jsonWanted = flags.json === true;
  try {
    const globals = cmd.optsWithGlobals() as Flags;
    const global: GlobalOptions = {
      region: globals.region as string | undefined,
      profile: globals.profile as string | undefined,
      sandbox: Boolean(globals.sandbox),
      debug: Boolean(globals.debug),
      color: globals.color !== false,
      settings: await parseSettingFlags((globals.setting as string[]) ?? []),
    };
    // Options first: a usage error needs no settings, credentials or clients.
    const opts: unknown = def.parse(args, flags);
    ctx = createContext({ streams, env, cwd: deps.cwd ?? process.cwd(), global, signal, now: deps.now, api: deps.api, processes: deps.processes });
    const result: unknown = await def.execute(ctx, opts);
    // Only a command whose --json the core declared gets its result printed as JSON here.
    if (jsonWanted && def.json) {
      ctx.io.json(def.toJson ? await def.toJson(result, opts) : result);
      return def.exitCode?.(result, opts) ?? ExitCode.ok;
    }
    return (await def.render(ctx, result, opts)) ?? ExitCode.ok;
  } catch (e) {
    const { reportError } = await import('./report.js');
    // --json means one JSON document on stdout, also on failure (unless the command already wrote one).
    return reportError(streams, e, { debug: debugWanted, color: ctx?.io.err, json: jsonWanted && !ctx?.io.wroteStdout });
  } finally {
    if (!deps.signal) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  }
}
