import { defineCommand, type Flags } from '../cli/define.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { ReleasesOptions, ReleasesResult } from '../services/releases/releases.js';
import { validateName } from '../names.js';

/** Builds shown when neither --limit nor --all is given. */
export const defaultReleasesLimit = 20;

export function parseReleases(args: string[], flags: Flags): ReleasesOptions {
  const [project] = args;
  validateName(project, 'project');
  if (flags.all && flags.limit !== undefined) throw new UsageError('--all and --limit contradict each other.', 'Drop one of the two flags.');
  let limit: number | undefined = defaultReleasesLimit;
  if (flags.all) limit = undefined;
  else if (flags.limit !== undefined) {
    const text = String(flags.limit);
    if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--limit takes a positive whole number, not "${text}".`, 'Example: sgn releases web --limit 50');
    limit = Number(text);
  }
  return { project, limit };
}

/** Builds the narrow dependencies from the composition root and lists the releases. */
export async function executeReleases(ctx: Context, opts: ReleasesOptions): Promise<ReleasesResult> {
  const { api } = ctx;
  const [{ listReleases }, cacheMod, db, s3, ecr, region] = await Promise.all([
    import('../services/releases/releases.js'),
    import('../services/releases/artifact-cache.js'),
    api.dynamo(),
    api.s3(),
    api.ecr(),
    api.region(),
  ]);
  return listReleases({ db, s3, ecr, cache: cacheMod.fileArtifactCache(cacheMod.artifactCacheDir(ctx.env)), settings: ctx.settings(), region, signal: ctx.signal, report: ctx.io }, opts);
}

/** The releases for people: a table on stdout, what it covers on stderr. */
export async function renderReleases(ctx: Context, result: ReleasesResult): Promise<number> {
  const { io } = ctx;
  const [{ printTable }, { formatAge }, { formatBytes }] = await Promise.all([import('../table.js'), import('../time.js'), import('../bytes.js')]);
  const where = result.sources.map((s) => `s3://${s.bucket}/${s.prefix}`).join(', ');
  if (result.total === 0) {
    io.info(`No builds of ${result.project} in ${where}.`);
    return 0;
  }
  const now = ctx.now();
  const imageCell = (r: ReleasesResult['releases'][number]) => {
    if (r.unusable) return { text: 'unusable', role: 'bad' as const };
    switch (r.image) {
      case 'present':
        return { text: 'in ECR', role: 'good' as const };
      case 'missing':
        return { text: 'gone (expired?)', role: 'bad' as const };
      case 'no-repository':
        return { text: 'no repository', role: 'bad' as const };
      default:
        return { text: 'unknown', role: 'warn' as const };
    }
  };
  await printTable(io, {
    columns: [{ header: 'Tag' }, { header: 'Built' }, { header: 'Runs in' }, { header: 'Image' }, { header: 'Size' }, { header: 'Artifact' }],
    rows: result.releases.map((r) => [
      r.tag ? { text: r.tag, role: r.envs.length ? 'strong' : 'normal' } : { text: '-', role: 'dim' },
      { text: formatAge(new Date(r.builtAt), now), role: 'dim' },
      r.envs.length ? r.envs.join(',') : { text: '-', role: 'dim' },
      imageCell(r),
      formatBytes(r.size),
      { text: r.key, role: 'dim' },
    ]),
  });
  for (const r of result.releases.filter((x) => x.unusable)) io.warn(`${r.key} cannot be deployed: ${r.unusable}.`);
  const shown = result.releases.length;
  if (shown < result.total) io.info(io.err.dim(`The newest ${shown} of ${result.total} builds in ${where}; --limit <n> or --all for more.`));
  else io.info(io.err.dim(`${result.total} build${result.total === 1 ? '' : 's'} in ${where}.`));
  return 0;
}

export const releasesCommand = defineCommand<ReleasesOptions, ReleasesResult>({
  name: 'releases',
  arguments: '<project>',
  summary: 'deployable builds of a project, where each runs, whether its image is still in ECR',
  // One paragraph per line: commander wraps each at word boundaries for the terminal's width.
  description: [
    "The builds of a project, newest first: the tag (commitref of the build's deployspec.yml), when it was built, the environments that run it now, whether its image is still in ECR (lifecycle rules expire old images), and the artifact.",
    "Builds are the artifact zips in the pipeline bucket, under the folder the project's deploy records point at (settings artifactBucket, artifactPrefix override it). Only the end of each zip and its deployspec.yml are read, once: what was read is cached per ETag under $XDG_CACHE_HOME/sgn/artifacts. Deploy one with `sgn rollback <project> <env> --to <tag>` or `sgn deploy --tag`.",
  ].join('\n\n'),
  examples: [
    'sgn releases web',
    'sgn releases web --limit 5',
    'sgn releases web --all --json | jq -r \'.releases[] | select(.deployable) | .tag\'',
    'sgn --sandbox releases web',
  ],
  options: (cmd) => {
    cmd.option('-n, --limit <n>', `show the newest <n> builds (default ${defaultReleasesLimit})`);
    cmd.option('--all', 'show every build');
  },
  json: true,
  parse: parseReleases,
  execute: executeReleases,
  render: renderReleases,
});
