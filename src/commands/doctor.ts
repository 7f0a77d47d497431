import { defineCommand } from '../cli/define.js';
import type { Context } from '../context.js';
import type { CheckResult, ProxyCheck } from '../services/doctor.js';

/** The proxy doctor shows (masked), when a proxy variable is set. */
async function proxyCheck(ctx: Context): Promise<ProxyCheck | undefined> {
  const { describeProxies, ProxyVariableError } = await import('../net-proxy.js');
  try {
    const proxy = ctx.proxy();
    return proxy ? { ok: true, detail: describeProxies(proxy) } : undefined;
  } catch (e) {
    if (e instanceof ProxyVariableError) return { ok: false, detail: e.message, fix: e.hint };
    throw e;
  }
}

export const doctorCommand = defineCommand<Record<string, never>, CheckResult[]>({
  name: 'doctor',
  summary: 'check credentials, region and access to every resource sgn uses',
  description: 'Checks credentials (STS), the region, the deploy table, the deployer function, the config bucket, the build and deployer log groups, and ECR: one line each with a fix. Exit 1 when any check fails.',
  examples: ['sgn doctor', 'sgn --profile prod doctor', 'sgn --sandbox doctor --json'],
  json: true,
  parse: () => ({}),
  execute: async (ctx) => {
    const { runChecks } = await import('../services/doctor.js');
    return runChecks(ctx.api, ctx.settings(), { proxy: await proxyCheck(ctx) });
  },
  exitCode: (results) => (results.every((r) => r.ok) ? 0 : 1),
  render: (ctx, results) => {
    const o = ctx.io.out;
    for (const r of results) ctx.io.print(`${r.ok ? o.green('✓') : o.red('✗')} ${r.name.padEnd(18)} ${r.detail}${r.fix ? o.dim(`  (fix: ${r.fix})`) : ''}`);
    return results.every((r) => r.ok) ? 0 : 1;
  },
});
