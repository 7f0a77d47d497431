// The layers of sgn (style.md), checked by `npm run lint`:
//   commands -> services -> adapters (aws/, registry/) -> core (errors, io, time, settings, ...)
// (rendering/, the deployer's template rendering as pure code, is core: the render/lint services and
// the sandbox's deployer emulator both use it, so that what sgn shows is what the sandbox applies)
// with the composition root (cli.ts, context.ts) on top, and sandbox/ beside the layers, used only
// by the sandbox command and service (and the root, which finds a running sandbox).
const core = '^src/(errors|io|time|names|version|table|prompt|prompt-widgets|process|python-repr|report|bytes|files|net-errors|net-proxy|proxy-agent|retry)\\.ts$|^src/settings/|^src/rendering/';
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'Cycles hide the layers; break them with an interface in the lower layer.', from: { path: '^src/' }, to: { circular: true } },
    {
      name: 'core-is-the-bottom',
      severity: 'error',
      comment: 'Core modules (errors, io, time, settings, ...) import nothing above them.',
      from: { path: core },
      to: { path: '^src/(aws|registry|services|commands|cli|sandbox)/|^src/(cli|context)\\.ts$' },
    },
    {
      name: 'adapters-below-services',
      severity: 'error',
      comment: 'AWS and registry adapters know nothing of services, commands or the sandbox.',
      from: { path: '^src/(aws|registry)/' },
      to: { path: '^src/(services|commands|cli|sandbox)/|^src/(cli|context)\\.ts$' },
    },
    {
      name: 'services-below-commands',
      severity: 'error',
      comment: 'Services take options and narrow dependencies; they never see commands, flags or the CLI core.',
      from: { path: '^src/services/' },
      to: { path: '^src/(commands|cli)/|^src/cli\\.ts$' },
    },
    {
      name: 'services-get-their-deps-passed',
      severity: 'error',
      comment: 'A service receives narrow dependencies; only the composition root builds them (the baseline .dependency-cruiser-known-violations.json is empty since every service moved: fix a violation, never baseline it).',
      from: { path: '^src/services/' },
      to: { path: '^src/context\\.ts$' },
    },
    {
      name: 'services-do-not-present',
      severity: 'error',
      comment: 'Presentation libraries belong to commands and the io core, never to services or adapters.',
      from: { path: '^src/(services|aws|registry)/' },
      to: { path: 'node_modules/(chalk|ora|commander|@inquirer|cli-table3)/' },
    },
    {
      name: 'sandbox-beside',
      severity: 'error',
      comment: 'The sandbox is used only by the sandbox command/service and the composition root.',
      from: { path: '^src/', pathNot: '^src/sandbox/|^src/services/sandbox\\.ts$|^src/commands/sandbox/|^src/context\\.ts$' },
      to: { path: '^src/sandbox/' },
    },
    {
      name: 'sandbox-uses-no-services',
      severity: 'error',
      comment: 'Sandbox fixtures write through the adapters or the SDK, never through a service.',
      from: { path: '^src/sandbox/' },
      to: { path: '^src/(services|commands)/|^src/(cli|context)\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
    exclude: { path: '^(dist|test|bench|scripts)/' },
  },
};
