import type { Context } from '../../context.js';
import { userAgent } from '../../aws/clients.js';
import { ecrApi, type EcrApi } from '../../aws/ecr.js';
import { SgnError } from '../../errors.js';
import { dockerConfigPath, dockerCredentials } from '../../registry/docker-config.js';
import { cacheHome, fileLocations } from '../../registry/locations.js';
import { ecrLogin } from '../../services/mirror/login.js';
import { mirrorProgress, type MirrorProgress } from '../../services/mirror/progress.js';
import type { MirrorDeps } from '../../services/mirror/session.js';
import { loadLifecyclePolicy, registryAddress } from '../../services/mirror/target.js';

/**
 * The narrow deps of `image mirror` and `image sync`, built from the run's context: the ECR
 * login (cached while valid), the ECR API (its SDK loaded on first use), docker's credentials,
 * the blob-location cache, and how progress is shown (`quiet`: no message lines, for --json).
 */
export async function mirrorDeps(ctx: Context, opts: { quiet: boolean; progress?: (totals: { blobs: number; bytes: number; image: string }) => MirrorProgress }): Promise<MirrorDeps> {
  const settings = ctx.settings();
  const policySource = ctx.resolvedSettings().sources.mirrorLifecyclePolicy?.file;
  const lifecyclePolicy = settings.mirrorLifecyclePolicy ? loadLifecyclePolicy(settings.mirrorLifecyclePolicy, policySource, ctx.cwd) : undefined;
  const aws = await ctx.aws();
  if (aws.sandbox && !aws.sandbox.registry && !settings.ecrRegistry) {
    throw new SgnError('The sandbox has no local registry to mirror into.', { hint: 'Install docker-registry (Debian/Ubuntu: `sudo apt-get install docker-registry`), then `sgn sandbox stop && sgn sandbox start`.' });
  }
  let ecr: Promise<EcrApi> | undefined;
  const ecrOnce = () => (ecr ??= ecrApi(aws));
  const env = ctx.env;
  const cacheDir = cacheHome(env);
  const s = aws.settings;
  return {
    login: ecrLogin({
      ecr: ecrOnce,
      cacheDir,
      // Everything that decides which account and registry the token is for.
      identity: {
        profile: s.profile ?? env.AWS_PROFILE ?? env.AWS_DEFAULT_PROFILE,
        region: s.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
        endpoint: s.endpoint ?? env.AWS_ENDPOINT_URL_ECR ?? env.AWS_ENDPOINT_URL,
        accessKeyId: s.credentials?.accessKeyId ?? env.AWS_ACCESS_KEY_ID,
        sessionToken: env.AWS_SESSION_TOKEN ? String(env.AWS_SESSION_TOKEN.length) + env.AWS_SESSION_TOKEN.slice(-16) : undefined,
        ecrRegistry: settings.ecrRegistry,
        sandbox: aws.sandbox ? `${aws.sandbox.startedAt} ${aws.sandbox.registry?.host ?? ''}` : undefined,
      },
      override: settings.ecrRegistry,
      sandboxRegistry: aws.sandbox?.registry?.host,
      now: () => ctx.now(),
    }),
    ecr: ecrOnce,
    sourceCredentials: (domain) => dockerCredentials(domain, env),
    locations: fileLocations(cacheDir),
    report: {
      info: (m) => !opts.quiet && ctx.io.info(m),
      warn: (m) => ctx.io.warn(m),
      blobs: opts.progress ?? ((totals) => mirrorProgress(ctx.io, totals, { lines: !opts.quiet })),
    },
    signal: ctx.signal,
    userAgent,
    debug: (line) => ctx.debug(line),
    now: () => ctx.now(),
    dockerConfig: dockerConfigPath(env),
    mirrorPrefix: settings.mirrorPrefix,
    ...(lifecyclePolicy ? { lifecyclePolicy } : {}),
    ...(settings.ecrRegistry ? { targetHint: registryAddress(settings.ecrRegistry).host } : {}),
  };
}
