/**
 * `sgn __complete <shell> -- <words...>`: what the completion scripts run on every TAB (hidden
 * from help). The core passes in the commander program it built, described here as the plain
 * tree the completion service walks, and the names come from the composition root's adapters.
 * Whatever goes wrong, it prints no error and exits 0: a TAB must never spill messages.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { cacheHome, writeFileAtomicSync } from '../files.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import type { Streams } from '../io.js';
import type { GlobalOptions } from '../context.js';
import type { AwsApis } from '../aws/apis.js';
import type { CompletionCommand, CompletionOption } from '../services/completion/complete.js';
import type { NameCache } from '../services/completion/sources.js';

export interface CompleteDeps {
  streams: Streams;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now?: () => Date;
  api?: AwsApis;
  /** Parses `-c key=value` words as main() does (throws on a bad one). */
  parseSettings(pairs: string[]): Promise<GlobalOptions['settings']>;
}

/** How long a TAB waits for AWS, and how long names stay cached. */
const timeoutMs = 1500;
const ttlMs = 60_000;

function optionOf(o: Option): CompletionOption {
  const flags = [o.short, o.long].filter((f): f is string => Boolean(f));
  return {
    flags,
    name: (o.long ?? o.short ?? '').replace(/^--?/, ''),
    description: o.description,
    takesValue: o.required || o.optional,
    // Collecting flags (`-c`, `-e`) say so in their help; commander has no other mark of them.
    repeatable: Array.isArray(o.defaultValue) || o.variadic || /\brepeatable\b/.test(o.description),
    choices: o.argChoices,
  };
}

/** The commander program as completion sees it: names, aliases, flags, arguments. */
export function completionTree(program: Command): CompletionCommand {
  const describe = (cmd: Command): CompletionCommand => {
    const help = cmd.createHelp();
    const options = help.visibleOptions(cmd).map(optionOf);
    return {
      name: cmd.name(),
      aliases: cmd.aliases(),
      description: cmd.summary() || cmd.description().split('\n')[0],
      options,
      args: cmd.registeredArguments.map((a) => ({ name: a.name(), variadic: a.variadic, choices: a.argChoices })),
      commands: help.visibleCommands(cmd).filter((c) => c.name() !== 'help').map(describe),
    };
  };
  const root = describe(program);
  // `sgn help [command...]` is handled before commander (main()), so it is added here.
  root.commands.push({ name: 'help', aliases: [], description: 'show help for a command', options: [], args: [{ name: 'command', variadic: true }], commands: [] });
  return root;
}

/** The global flags among the words, for the context that reads names (`--sandbox`, `-c table=...`). */
async function globalsOf(words: string[], deps: CompleteDeps): Promise<GlobalOptions> {
  const global: GlobalOptions = { sandbox: false, debug: false, color: false, settings: {} };
  const settings: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const [flag, inline] = words[i].startsWith('--') && words[i].includes('=') ? [words[i].slice(0, words[i].indexOf('=')), words[i].slice(words[i].indexOf('=') + 1)] : [words[i], undefined];
    const value = () => inline ?? words[++i];
    if (flag === '--sandbox') global.sandbox = true;
    else if (flag === '--region') global.region = value();
    else if (flag === '--profile') global.profile = value();
    else if (flag === '-c' || flag === '--setting') settings.push(value() ?? '');
  }
  for (const pair of settings) {
    // One bad -c word (half typed) must not cost the others.
    global.settings = { ...global.settings, ...(await deps.parseSettings([pair]).catch(() => ({}))) };
  }
  return global;
}

/** Names cached as JSON files under $XDG_CACHE_HOME/sgn/completion/ (written atomically). */
function fileCache(env: NodeJS.ProcessEnv): NameCache {
  const dir = join(cacheHome(env), 'completion');
  const file = (key: string) => join(dir, `${key}.json`);
  return {
    read: (key) => {
      try {
        return JSON.parse(readFileSync(file(key), 'utf8')) as unknown;
      } catch {
        return undefined;
      }
    },
    write: (key, value) => {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        writeFileAtomicSync(file(key), JSON.stringify(value), { mode: 0o600 });
      } catch {
        // A cache that cannot be written only makes the next TAB slower.
      }
    },
  };
}

/** Runs `__complete <shell> -- <words...>`: one candidate per line, `value<TAB>description`. */
export async function runComplete(program: Command, argv: string[], deps: CompleteDeps): Promise<number> {
  const words = argv[1] === '--' ? argv.slice(2) : argv.slice(1);
  if (words.length === 0) words.push('');
  try {
    const [{ complete }, { completionSources }, { createContext }] = await Promise.all([
      import('../services/completion/complete.js'),
      import('../services/completion/sources.js'),
      import('../context.js'),
    ]);
    const global = await globalsOf(words.slice(0, -1), deps);
    const sink = { isTTY: false, write: () => true } as unknown as Streams['stderr'];
    const ctx = createContext({ streams: { ...deps.streams, stderr: sink }, env: deps.env, cwd: deps.cwd, global, signal: new AbortController().signal, now: deps.now, api: deps.api });
    let settings: ReturnType<typeof ctx.settings> | undefined;
    try {
      settings = ctx.settings();
    } catch {
      settings = undefined;
    }
    const sources = completionSources({
      dynamo: () => ctx.api.dynamo(),
      s3: () => ctx.api.s3(),
      settings: settings ?? { table: '', environments: [], configBucket: '', configKey: '' },
      // The names belong to one table behind one endpoint, account and region.
      scope: createHash('sha256')
        .update(JSON.stringify([settings?.table, settings?.region, settings?.profile, global.sandbox || deps.env.SGN_SANDBOX, deps.env.SGN_SANDBOX_DIR, deps.env.AWS_ENDPOINT_URL, deps.env.AWS_ENDPOINT_URL_DYNAMODB, deps.env.AWS_REGION, deps.env.AWS_PROFILE]))
        .digest('hex'),
      cache: fileCache(deps.env),
      now: ctx.now,
      timeoutMs,
      ttlMs,
    });
    const candidates = await complete(completionTree(program), words, sources);
    deps.streams.stdout.write(candidates.map((c) => (c.description ? `${c.value}\t${c.description.replace(/\s+/g, ' ')}` : c.value) + '\n').join(''));
  } catch {
    // Nothing: see the module comment.
  }
  return 0;
}
