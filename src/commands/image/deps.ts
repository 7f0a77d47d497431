import type { Context } from '../../context.js';
import { userAgent } from '../../version.js';
import { SgnError } from '../../errors.js';
import { withDirectHost } from '../../net-proxy.js';
import { dockerConfigPath, dockerCredentials } from '../../registry/docker-config.js';
import { cacheHome, fileLocations } from '../../registry/locations.js';
import { ecrLogin } from '../../services/mirror/login.js';
import type { MirrorDeps } from '../../services/mirror/session.js';
import { loadLifecyclePolicy, registryAddress } from '../../services/mirror/target.js';

/**
 * The narrow deps of `image mirror` and `image sync`, built from the run's context: the ECR
 * login (cached while valid), the ECR API (its SDK loaded on first use), docker's credentials,
 * the blob-location cache; messages and progress through the run's Reporter.
 */
export async function mirrorDeps(ctx: Context): Promise<MirrorDeps> {
  const settings = ctx.settings();
  const policySource = ctx.resolvedSettings().sources.mirrorLifecyclePolicy?.file;
  const lifecyclePolicy = settings.mirrorLifecyclePolicy ? loadLifecyclePolicy(settings.mirrorLifecyclePolicy, policySource, ctx.cwd) : undefined;
  const { clients: s, sandbox } = await ctx.target();
  if (sandbox && !sandbox.registryHost && !settings.ecrRegistry) {
    throw new SgnError('The sandbox has no local registry to mirror into.', { hint: 'Install docker-registry (Debian/Ubuntu: `sudo apt-get install docker-registry`), then `sgn sandbox stop && sgn sandbox start`.' });
  }
  const ecrOnce = () => ctx.api.ecr();
  const env = ctx.env;
  const cacheDir = cacheHome(env);
  const configured = ctx.proxy();
  // The sandbox's registry is sgn's own, on loopback: a corporate proxy could not reach it.
  const proxy = configured && sandbox?.registryHost ? withDirectHost(configured, sandbox.registryHost) : configured;
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
        sandbox: sandbox ? `${sandbox.accountId} ${sandbox.registryHost ?? ''}` : undefined,
      },
      override: settings.ecrRegistry,
      sandboxRegistry: sandbox?.registryHost,
      now: () => ctx.now(),
    }),
    ecr: ecrOnce,
    sourceCredentials: (domain) => dockerCredentials(domain, env),
    locations: fileLocations(cacheDir),
    report: ctx.io,
    signal: ctx.signal,
    userAgent,
    debug: (line) => ctx.debug(line),
    now: () => ctx.now(),
    dockerConfig: dockerConfigPath(env),
    mirrorPrefix: settings.mirrorPrefix,
    ...(proxy ? { proxy } : {}),
    ...(lifecyclePolicy ? { lifecyclePolicy } : {}),
    ...(settings.ecrRegistry ? { targetHint: registryAddress(settings.ecrRegistry).host } : {}),
  };
}
