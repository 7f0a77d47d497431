// `sgn cfg cat` of one config file, against the AWS CLI v2 copying the same object to stdout
// (`aws s3 cp s3://.../config -`), both on moto.
import { S3Client } from '@aws-sdk/client-s3';
import { createConfigBucket, demoConfigText, putConfigFile } from '../src/sandbox/fixtures-cfg.ts';

const bucket = 'bench-config';
const key = 'web/production/config';

export async function scenarios(env) {
  const text = demoConfigText('web', 'production');
  let seeded;
  const setup = () =>
    (seeded ??= (async () => {
      const s3 = new S3Client({ ...env.clientConfig, forcePathStyle: true });
      try {
        await createConfigBucket(s3, bucket, { versioned: true });
        await putConfigFile(s3, bucket, key, text);
      } finally {
        s3.destroy();
      }
    })());
  const same = (out) => (out === text ? undefined : 'stdout is not the stored file');
  const awsEnv = env.awsEnv();
  return [
    {
      id: 'cfg-cat',
      name: 'sgn cfg cat web production',
      peerLabel: 'aws s3 cp - ',
      budget: { ratio: 0.5 },
      setup,
      sgn: { argv: [...env.sgn, '-c', `configBucket=${bucket}`, 'cfg', 'cat', 'web', 'production'], env: awsEnv, check: same },
      peer: { argv: env.awsArgv('s3', 'cp', `s3://${bucket}/${key}`, '-'), env: awsEnv, check: same },
      runs: 10,
      warmup: 2,
      // One request after credentials (performance.md); credentials come from the environment here.
      latency: { budget: { ratio: 0.5, path: 1 } },
    },
  ];
}
