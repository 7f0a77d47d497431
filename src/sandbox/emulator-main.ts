// The deployer emulator as a program: `node dist/deployer-emulator.js --moto URL --port N
// --region R --function F --table T --log-group G [--config-bucket B] [--host H]`. The sandbox
// starts it detached; it prints one line "listening <url>" when ready and stops on SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { startDeployerEmulator } from './deployer-emulator.js';

const usage = 'usage: deployer-emulator --moto URL --region R --function F --table T --log-group G [--port N] [--host H] [--config-bucket B]';

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: {
      moto: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      region: { type: 'string' },
      function: { type: 'string' },
      table: { type: 'string' },
      'log-group': { type: 'string' },
      'config-bucket': { type: 'string' },
    },
    strict: true,
  });
  const missing = ['moto', 'region', 'function', 'table', 'log-group'].filter((k) => !values[k as keyof typeof values]);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (missing.length || (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536))) {
    process.stderr.write(`${missing.length ? `missing --${missing.join(', --')}\n` : 'bad --port\n'}${usage}\n`);
    process.exitCode = 2;
    return;
  }
  const emulator = await startDeployerEmulator({
    awsEndpoint: values.moto!,
    region: values.region!,
    functionName: values.function!,
    table: values.table!,
    logGroup: values['log-group']!,
    configBucket: values['config-bucket'],
    port,
    host: values.host,
  });
  process.stdout.write(`listening ${emulator.url}\n`);
  const stop = () => {
    process.removeListener('SIGTERM', stop);
    process.removeListener('SIGINT', stop);
    void emulator.close();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

run().catch((e: Error) => {
  process.stderr.write(`deployer emulator: ${e.message}\n${usage}\n`);
  process.exitCode = 1;
});
