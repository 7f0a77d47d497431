/**
 * The deployer emulator: sgn's stand-in for the deployer Lambda (`notify_k8s_deploy`, the public
 * roffe/k8s-deployer `src/handler.py`) for the sandbox, the tests and the bench. It is a node:http
 * server on loopback that speaks the Lambda REST API the AWS SDK's LambdaClient uses, and does
 * against moto what the real handler does against AWS for a manual deploy, and fails where it
 * fails, with the same exception types and messages. Only the cluster is pretended (see
 * deployer-handler.ts: an in-memory record of what was applied, an optional delay or error
 * instead of `kubectl rollout status`).
 *
 * Lambda API (any credentials are accepted; only `functionName` exists):
 *   POST /2015-03-31/functions/{name}/invocations   Invoke. X-Amz-Invocation-Type RequestResponse
 *        (default), Event (202, runs in the background) or DryRun (204). X-Amz-Log-Type Tail adds
 *        X-Amz-Log-Result: the last 4 KB of this invocation's log, base64. An exception in the
 *        handler answers 200 with X-Amz-Function-Error: Unhandled and {errorMessage, errorType,
 *        stackTrace}, like the Python runtime. The request id is the x-amzn-RequestId header.
 *   GET  /2015-03-31/functions/{name}                GetFunction (for `sgn doctor`)
 *   GET  /2015-03-31/functions/{name}/configuration  GetFunctionConfiguration
 *   Any other function name or qualifier: 404 ResourceNotFoundException, worded as AWS words it.
 *
 * An invocation with {"SGNRunDeploy.job": {"Application", "envFrom", "envTo"}} does what
 * handler.py's runManualDeploy does:
 *   1. Query the deploy table for exactly (Application, envFrom). No item: nothing happens and
 *      the result is still "Success" (the pitfall sgn must guard against).
 *   2. For each item: download the kube config `k8s_deployer/<envTo>/config` from `configBucket`
 *      (only when that option is given) and the artifact zip at the item's bucketName/objectKey;
 *      extract it and read `deployspec.yml` with PyYAML's rules (its `commitref` becomes the new
 *      Tag). Any of these missing raises with the real handler's message ("Error getting deploy
 *      artifact from s3: ...", "Missing commitref in deployspec!").
 *   3. runDeploySpec (deployer-handler.ts): load the kube config as the kubernetes client does
 *      (ConfigException when its current context is not among its contexts), create the
 *      namespace (KeyError 'namespace'), render every `spec` template (KeyError 'spec',
 *      TemplateNotFound), the env's Secret from its config file when `envsecret: true` (a failure
 *      is only logged, as the handler only warns), then apply in the handler's order with
 *      yaml.load (ScannerError for a tab, with the tmp path, line and column) and a few API
 *      server checks (ApiException 422: a Service without ports, a Deployment whose selector
 *      does not match its labels, a container without name or image), and "roll out" each
 *      Deployment/StatefulSet (the fault's delayMs and error).
 *   4. PutItem the envTo record {Application, Env, Deployed: str(time.time()), Tag: commitref,
 *      bucketName, objectKey}, then tag the image: STS GetCallerIdentity, ECR BatchGetImage of
 *      `commitref`, PutImage of the same manifest with the envTo tag (moving it; an
 *      ImageAlreadyExistsException is ignored). A missing image raises IndexError after the record
 *      was written, as the real handler does.
 *   Log lines go to CloudWatch Logs (moto) in `logGroup`, one stream per warm "container"
 *   (`YYYY/MM/DD/[$LATEST]<hex>`), as they happen: START/END/REPORT lines as Lambda writes them,
 *   the handler's `[INFO]\t<time>\t<request id>\t<message>` lines, and `[ERROR]` with the traceback.
 *   CodePipeline.job events are not emulated (a FunctionError says so).
 *
 * Where it differs from handler.py on purpose:
 *   - No cluster, no kubectl, no Slack, no Graphite: their effects are log lines, and a rollout
 *     only fails when a fault says so. The API server checks are a handful (api-server.ts), so
 *     an object they pass may still be refused by a real cluster.
 *   - Rendering is sgn's own Jinja2 2.10 engine (jinja-render.ts, the one `sgn render` uses, proven
 *     against Python's Jinja2 by a differential test); a construct it refuses fails the deploy with
 *     NotImplementedError where the real deployer would render it. GET /_sgn/applied shows what
 *     a deploy applied, so tests check that it equals `sgn render`.
 *   - YAML syntax errors other than tabs (and ": " where no key may be) raise ParserError with the
 *     `yaml` package's wording, not PyYAML's; a few documents PyYAML accepts are refused (a
 *     quoted scalar continued on a tab-indented line).
 *   - Without `configBucket` there is no kube config: the cluster is named after the env, and no
 *     Secret can be made (its failure is logged, as the handler logs it).
 *   - The Secret step only checks that the config file downloads and is UTF-8: configparser's
 *     refusals and Kubernetes' key and size limits (which the handler turns into a logged
 *     warning) are `sgn cfg`'s checks, not repeated here.
 *   - Traceback frames name handler.py's upstream line numbers and stop at the handler's code.
 *
 * Control API (sgn's own, JSON):
 *   POST /_sgn/faults {project, error?, errorType?, delayMs?, noEffect?}  sets the fault of one
 *        project until reset ({project} alone clears it). delayMs: the rollout takes this long.
 *        error: the rollout then fails with this message (errorType, default "Exception"), before
 *        any record is written. noEffect: everything runs but no record is written and no image
 *        is tagged ("Success" without effect).
 *   GET  /_sgn/faults        {faults: {<project>: fault}}
 *   GET  /_sgn/invocations   {count, invocations: [{requestId, invocationType, payload, project,
 *        envFrom, envTo, startedAt, handlingMs, outcome: "success"|"error", errorMessage?}]}
 *        (handlingMs: request received to response sent, for measuring the caller's own overhead)
 *   GET  /_sgn/applied?project=&env=  {objects}: what the last deploy of project to env applied,
 *        in order (Namespace first), as the API server received it
 *   POST /_sgn/reset         forgets faults and invocations; the next invocation starts cold
 *   GET  /_sgn/health        {functionName, region}
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { BatchGetImageCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { sandboxCredentials } from './state.js';
import { pyRepr, pyTime } from '../python-repr.js';
import { readZip } from './zip.js';
import { checkDeployspec, Cluster, deployFrames, frames, runDeploySpec } from './deployer-handler.js';
import { frame, PyError, pyStr } from './py-error.js';
import type { TemplateRenderer } from './render-step.js';
import { renderWithSgnJinja } from './jinja-render.js';

export interface DeployerEmulatorOptions {
  /** moto's URL: every AWS call of the emulated deployer goes there. */
  awsEndpoint: string;
  region: string;
  functionName: string;
  table: string;
  /** `/aws/lambda/<function>`. */
  logGroup: string;
  /** The config bucket; when given, the kube config `k8s_deployer/<envTo>/config` must exist in it. */
  configBucket?: string;
  port?: number;
  host?: string;
  /** The template renderer (default: sgn's Jinja2 engine, jinja-render.ts, the one `sgn render` uses). */
  render?: TemplateRenderer;
  /** Another emulated API served by the same process (the sandbox's CodeBuild); true when it answered. */
  extraHandler?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

export interface DeployerFault {
  error?: string;
  errorType?: string;
  delayMs?: number;
  noEffect?: boolean;
}

export interface InvocationRecord {
  requestId: string;
  invocationType: string;
  payload: unknown;
  project?: string;
  envFrom?: string;
  envTo?: string;
  startedAt: string;
  handlingMs?: number;
  outcome?: 'success' | 'error';
  errorMessage?: string;
}

export interface DeployerEmulator {
  url: string;
  close(): Promise<void>;
}

const timeoutMs = 500_000;
const memoryMb = 512;

const handlerFrames = [frames.handler];

/** boto3's ClientError text for an AWS error the SDK raised. */
function clientError(e: unknown, operation: string, frames: string[]): PyError {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = err.name && err.name !== 'Error' ? err.name : String(err.$metadata?.httpStatusCode ?? 'Unknown');
  return new PyError(code, `An error occurred (${code}) when calling the ${operation} operation: ${err.message ?? ''}`, frames);
}

/** boto3's download_file error for a missing object or bucket (it starts with a HeadObject). */
async function download(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) throw new Error('An error occurred (404) when calling the HeadObject operation: Not Found');
    if (status === 403) throw new Error('An error occurred (403) when calling the HeadObject operation: Forbidden');
    throw e;
  }
}

/** One invocation's log: lines go to CloudWatch as they happen and into the Tail buffer. */
class InvocationLog {
  private readonly lines: string[] = [];
  constructor(
    private readonly sink: LogSink,
    private readonly stream: string,
    readonly requestId: string,
  ) {}
  raw(message: string): void {
    const text = message.endsWith('\n') ? message : message + '\n';
    this.lines.push(text);
    this.sink.put(this.stream, text);
  }
  info(message: string): void {
    this.raw(`[INFO]\t${new Date().toISOString()}\t${this.requestId}\t${message}`);
  }
  error(message: string): void {
    this.raw(`[ERROR]\t${new Date().toISOString()}\t${this.requestId}\t${message}`);
  }
  /** The last 4 KB of this invocation's log, base64, as in X-Amz-Log-Result. */
  tail(): string {
    const all = Buffer.from(this.lines.join(''), 'utf8');
    return all.subarray(Math.max(0, all.length - 4096)).toString('base64');
  }
}

/** Writes log events to CloudWatch Logs in order, batching what arrives while a write is in flight. */
class LogSink {
  private readonly pending = new Map<string, { timestamp: number; message: string }[]>();
  private readonly created = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private scheduled = false;
  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly group: string,
  ) {}

  put(stream: string, message: string): void {
    let list = this.pending.get(stream);
    if (!list) this.pending.set(stream, (list = []));
    list.push({ timestamp: Date.now(), message });
    if (!this.scheduled) {
      this.scheduled = true;
      this.queue = this.queue.then(() => {
        this.scheduled = false;
        return this.drain();
      });
    }
  }

  /** Resolves when everything put so far is in CloudWatch. */
  flush(): Promise<void> {
    return this.queue;
  }

  /** Forgets which streams exist (after a moto reset). */
  forget(): void {
    this.created.clear();
  }

  private async drain(): Promise<void> {
    const batches = [...this.pending.entries()];
    this.pending.clear();
    for (const [stream, events] of batches) {
      try {
        await this.send(stream, events);
      } catch (e) {
        process.stderr.write(`deployer emulator: could not write logs to ${this.group}/${stream}: ${(e as Error).message}\n`);
      }
    }
  }

  private async send(stream: string, events: { timestamp: number; message: string }[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (!this.created.has(stream)) await this.createStream(stream);
      try {
        await this.logs.send(new PutLogEventsCommand({ logGroupName: this.group, logStreamName: stream, logEvents: events }));
        return;
      } catch (e) {
        // The group or stream vanished (moto was reset): create them again, once.
        if ((e as Error).name !== 'ResourceNotFoundException' || attempt > 0) throw e;
        this.created.delete(stream);
      }
    }
  }

  private async createStream(stream: string): Promise<void> {
    // Lambda creates its log group on first use, as long as its role may (AWSLambdaBasicExecutionRole).
    await this.logs.send(new CreateLogGroupCommand({ logGroupName: this.group })).catch((e: Error) => {
      if (e.name !== 'ResourceAlreadyExistsException') throw e;
    });
    await this.logs.send(new CreateLogStreamCommand({ logGroupName: this.group, logStreamName: stream })).catch((e: Error) => {
      if (e.name !== 'ResourceAlreadyExistsException') throw e;
    });
    this.created.add(stream);
  }
}

const str = (v: AttributeValue | undefined) => (v && 'S' in v ? v.S : undefined);
// Unref'd: a rollout in progress must not keep a stopping emulator alive.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/** Starts the emulator on loopback (a free port unless `port` is given). */
export async function startDeployerEmulator(opts: DeployerEmulatorOptions): Promise<DeployerEmulator> {
  const clientConfig = { region: opts.region, endpoint: opts.awsEndpoint, credentials: sandboxCredentials, maxAttempts: 2 };
  const db = new DynamoDBClient(clientConfig);
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const ecr = new ECRClient(clientConfig);
  const sts = new STSClient(clientConfig);
  const logs = new CloudWatchLogsClient(clientConfig);
  const sink = new LogSink(logs, opts.logGroup);
  const faults = new Map<string, DeployerFault>();
  // What the deploys applied, per environment (created vs replaced in the log lines).
  const cluster = new Cluster();
  let invocations: InvocationRecord[] = [];
  // Warm "containers": each handles one invocation at a time and keeps its log stream.
  let idle: string[] = [];
  let accountId: string | undefined;

  const account = async () => {
    if (!accountId) accountId = (await sts.send(new GetCallerIdentityCommand({}))).Account ?? '123456789012';
    return accountId;
  };
  const functionArn = async (qualifier?: string) => `arn:aws:lambda:${opts.region}:${await account()}:function:${opts.functionName}${qualifier ? `:${qualifier}` : ''}`;

  /** handler.py's tagImage: the env tag moves to the manifest of `tag`. */
  const tagImage = async (repository: string, tag: string, newTag: string) => {
    const tagFrames = [...deployFrames, frames.tagImage];
    const registryId = await account();
    let images;
    try {
      images = (await ecr.send(new BatchGetImageCommand({ registryId, repositoryName: repository, imageIds: [{ imageTag: tag }] }))).images ?? [];
    } catch (e) {
      throw clientError(e, 'BatchGetImage', [...tagFrames, frame('tagImage', 1114, 'imageIds=[')]);
    }
    if (images.length === 0) throw new PyError('IndexError', 'list index out of range', [...tagFrames, frame('tagImage', 1124, "imageManifest=response['images'][0]['imageManifest'],")]);
    try {
      await ecr.send(new PutImageCommand({ registryId, repositoryName: repository, imageManifest: images[0].imageManifest, imageTag: newTag }));
    } catch (e) {
      if ((e as Error).name !== 'ImageAlreadyExistsException') throw clientError(e, 'PutImage', [...tagFrames, frame('tagImage', 1125, 'imageTag=newtag')]);
    }
  };

  /** handler.py's deployFromDB for one source item. */
  const deployFromDb = async (item: Record<string, AttributeValue>, details: Record<string, string>, log: InvocationLog, fault: DeployerFault) => {
    const project = details.Application;
    const env = details.envTo;
    const bucket = str(item.bucketName);
    const key = str(item.objectKey);
    if (bucket === undefined) throw new PyError('KeyError', "'bucketName'", [frames.handler, frames.manual, frame('deployFromDB', 982, "from_bucket = item['bucketName']")]);
    if (key === undefined) throw new PyError('KeyError', "'objectKey'", [frames.handler, frames.manual, frame('deployFromDB', 983, "from_key = item['objectKey']")]);
    const tmp = `/tmp/tmp${randomBytes(4).toString('hex')}`;
    let kubeconf: Buffer | undefined;
    if (opts.configBucket) {
      const kubeKey = `k8s_deployer/${env}/config`;
      log.raw(`Debug S3 kubectl '${opts.configBucket}' '${kubeKey}' '${tmp}/kubeconf'`);
      try {
        kubeconf = await download(s3, opts.configBucket, kubeKey);
      } catch (e) {
        throw new PyError('Exception', `Error getting kubectl config from s3: ${(e as Error).message}`, [...deployFrames, frame('deployFromDB', 994, 'getKubeConfigFromS3(deploy_env, tmpdirname)'), frame('getKubeConfigFromS3', 763, "raise Exception('Error getting kubectl config from s3: {}'.format(")]);
      }
    }
    let zip: Buffer;
    try {
      zip = await download(s3, bucket, key);
    } catch (e) {
      throw new PyError('Exception', `Error getting deploy artifact from s3: ${(e as Error).message}`, [...deployFrames, frame('deployFromDB', 995, 'getDeployZipFromS3(from_bucket, from_key, tmpdirname)'), frame('getDeployZipFromS3', 775, "raise Exception('Error getting deploy artifact from s3: {}'.format(")]);
    }
    let files;
    try {
      files = readZip(zip);
    } catch (e) {
      throw new PyError('Exception', `Error extracting zip: ${(e as Error).message}`, [...deployFrames, frame('deployFromDB', 995, 'getDeployZipFromS3(from_bucket, from_key, tmpdirname)'), frame('getDeployZipFromS3', 784, "raise Exception('Error extracting zip: {}'.format(")]);
    }
    const unzipped = new Map(files.filter((f) => !f.name.endsWith('/')).map((f) => [f.name, f.data]));
    const dep = await checkDeployspec(unzipped, tmp);
    let rolledOut = false;
    const rollout = async () => {
      rolledOut = true;
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.error !== undefined) throw new PyError(fault.errorType ?? 'Exception', fault.error, [frame('rolloutStatus', 713, 'raise(e)')]);
    };
    await runDeploySpec({
      project,
      env,
      tmp,
      registry: `${await account()}.dkr.ecr.${opts.region}.amazonaws.com`,
      files: unzipped,
      kubeconf,
      deployspec: dep,
      appConfig: () => (opts.configBucket ? download(s3, opts.configBucket, `${project}/${env}/config`) : Promise.reject(new Error('An error occurred (404) when calling the HeadObject operation: Not Found'))),
      cluster,
      log,
      rollout,
      now: () => new Date(),
      render: opts.render ?? renderWithSgnJinja,
    });
    // A spec without Deployments or StatefulSets: the injected fault still happens, before any record.
    if (!rolledOut && (fault.delayMs || fault.error !== undefined)) await rollout().catch((e: PyError) => Promise.reject(new PyError(e.type, e.message, [...deployFrames, frames.runDeploySpec])));
    const commitref = (dep as Record<string, unknown>).commitref;
    if (fault.noEffect) return;
    try {
      await db.send(
        new PutItemCommand({
          TableName: opts.table,
          Item: {
            Application: { S: project },
            Env: { S: env },
            Deployed: { S: pyTime(performance.timeOrigin + performance.now()) },
            objectKey: { S: key },
            bucketName: { S: bucket },
            Tag: typeof commitref === 'number' ? { N: String(commitref) } : { S: pyStr(commitref) },
          },
        }),
      );
    } catch (e) {
      throw clientError(e, 'PutItem', [...deployFrames, frames.setlastDeploy, frame('setlastDeploy', 727, 'table.put_item(')]);
    }
    await tagImage(project, pyStr(commitref), env);
  };

  /** handler.py's lambda_handler. */
  const handler = async (event: unknown, log: InvocationLog, record: InvocationRecord, started: number): Promise<unknown> => {
    log.info(`Event: ${pyRepr(event)}`);
    log.info(`Time remaining (MS): ${timeoutMs - Math.round(performance.now() - started)}`);
    const isDict = typeof event === 'object' && event !== null && !Array.isArray(event);
    if (isDict && 'SGNRunDeploy.job' in event) {
      const details = (event as Record<string, unknown>)['SGNRunDeploy.job'];
      const frames = [...handlerFrames, frame('runManualDeploy', 668, "appCond = Key('Application').eq(details['Application'])")];
      if (typeof details !== 'object' || details === null || Array.isArray(details)) throw new PyError('TypeError', 'string indices must be integers', frames);
      const d = details as Record<string, unknown>;
      for (const k of ['Application', 'envFrom', 'envTo']) if (!(k in d)) throw new PyError('KeyError', `'${k}'`, frames);
      for (const k of ['Application', 'envFrom', 'envTo']) {
        if (typeof d[k] !== 'string') throw new PyError('ClientError', 'An error occurred (ValidationException) when calling the Query operation: One or more parameter values were invalid: Condition parameter type does not match schema type', frames);
      }
      const job = d as Record<string, string>;
      Object.assign(record, { project: job.Application, envFrom: job.envFrom, envTo: job.envTo });
      let items;
      try {
        const out = await db.send(
          new QueryCommand({
            TableName: opts.table,
            KeyConditionExpression: '#a = :a AND #e = :e',
            ExpressionAttributeNames: { '#a': 'Application', '#e': 'Env' },
            ExpressionAttributeValues: { ':a': { S: job.Application }, ':e': { S: job.envFrom } },
          }),
        );
        items = out.Items ?? [];
      } catch (e) {
        throw clientError(e, 'Query', [...handlerFrames, frame('runManualDeploy', 671, 'response = table.query(')]);
      }
      // The pitfall: no source record, nothing deployed, and still "Success".
      for (const item of items) await deployFromDb(item, job, log, faults.get(job.Application) ?? {});
    }
    if (isDict && 'CodePipeline.job' in event) {
      throw new PyError('NotImplementedError', 'the sandbox deployer emulator does not run CodePipeline.job events', [...handlerFrames]);
    }
    return 'Success';
  };

  /** Runs one invocation in a warm or new container; returns the status, headers and body. */
  const invoke = async (payload: unknown, record: InvocationRecord, tail: boolean) => {
    const started = performance.now();
    let stream = idle.pop();
    const cold = stream === undefined;
    if (!stream) {
      const d = new Date();
      const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
      stream = `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
    }
    const log = new InvocationLog(sink, stream, record.requestId);
    if (cold) sink.put(stream, `[INFO]\t${new Date().toISOString()}\t\tLogging initialized\n`);
    log.raw(`START RequestId: ${record.requestId} Version: $LATEST`);
    let result: unknown;
    let failed: PyError | undefined;
    try {
      result = await handler(payload, log, record, started);
    } catch (e) {
      failed = e instanceof PyError ? e : new PyError((e as Error).name || 'Exception', (e as Error).message, handlerFrames);
      log.raw(`[ERROR] ${failed.type}: ${failed.message}\nTraceback (most recent call last):\n${failed.frames.join('')}`);
    }
    log.raw(`END RequestId: ${record.requestId}`);
    const ms = performance.now() - started;
    log.raw(
      `REPORT RequestId: ${record.requestId}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${Math.ceil(ms)} ms\tMemory Size: ${memoryMb} MB\tMax Memory Used: ${90 + (invocations.length % 7)} MB\t${cold ? `Init Duration: ${(380 + Math.random() * 80).toFixed(2)} ms\t` : ''}`,
    );
    await sink.flush();
    idle.push(stream);
    record.outcome = failed ? 'error' : 'success';
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': '$LATEST' };
    if (tail) headers['X-Amz-Log-Result'] = log.tail();
    if (failed) {
      record.errorMessage = failed.message;
      headers['X-Amz-Function-Error'] = 'Unhandled';
      return { headers, body: JSON.stringify({ errorMessage: failed.message, errorType: failed.type, stackTrace: failed.frames }) };
    }
    return { headers, body: JSON.stringify(result) };
  };

  const configuration = async () => ({
    FunctionName: opts.functionName,
    FunctionArn: await functionArn(),
    Runtime: 'python3.12',
    Role: `arn:aws:iam::${await account()}:role/lambda_slack_notify_k8s_deploy`,
    Handler: 'handler.lambda_handler',
    CodeSize: 1048576,
    Description: 'sgn sandbox: deployer emulator',
    Timeout: timeoutMs / 1000,
    MemorySize: memoryMb,
    LastModified: '2024-01-01T00:00:00.000+0000',
    Version: '$LATEST',
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
    LoggingConfig: { LogFormat: 'Text', LogGroup: opts.logGroup },
  });

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(text);
  };
  const awsError = (res: ServerResponse, status: number, type: string, message: string) =>
    send(res, status, { Type: 'User', message }, { 'x-amzn-ErrorType': type, 'x-amzn-RequestId': randomUUID() });
  const readBody = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  /** The function named in a path: a name, a full or partial ARN, with an optional qualifier. */
  const resolveFunction = async (raw: string, qualifier: string | null): Promise<{ ok: true } | { ok: false; message: string }> => {
    const name = decodeURIComponent(raw);
    const m = /^(?:arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:|\d{12}:function:)?([\w-]+)(?::([\w$-]+))?$/.exec(name);
    const fn = m?.[1] ?? name;
    const q = qualifier ?? m?.[2];
    if (fn === opts.functionName && (q === undefined || q === '$LATEST')) return { ok: true };
    return { ok: false, message: `Function not found: arn:aws:lambda:${opts.region}:${await account().catch(() => '123456789012')}:function:${fn}${q ? `:${q}` : ''}` };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const received = performance.now();
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (path.startsWith('/_sgn/')) {
      if (method === 'GET' && path === '/_sgn/health') return send(res, 200, { functionName: opts.functionName, region: opts.region });
      if (method === 'GET' && path === '/_sgn/invocations') return send(res, 200, { count: invocations.length, invocations });
      if (method === 'GET' && path === '/_sgn/faults') return send(res, 200, { faults: Object.fromEntries(faults) });
      if (method === 'GET' && path === '/_sgn/applied') {
        const objects = cluster.appliedBy(url.searchParams.get('project') ?? '', url.searchParams.get('env') ?? '');
        return objects ? send(res, 200, { objects }) : send(res, 404, { message: 'no deploy of that project to that env since the last reset' });
      }
      if (method === 'POST' && path === '/_sgn/reset') {
        faults.clear();
        cluster.clear();
        invocations = [];
        idle = [];
        sink.forget();
        return send(res, 200, { ok: true });
      }
      if (method === 'POST' && path === '/_sgn/faults') {
        let body: { project?: unknown } & DeployerFault;
        try {
          body = JSON.parse((await readBody(req)).toString('utf8'));
        } catch {
          return send(res, 400, { message: 'body must be JSON: {project, error?, errorType?, delayMs?, noEffect?}' });
        }
        if (typeof body.project !== 'string') return send(res, 400, { message: '"project" is required' });
        const fault: DeployerFault = {};
        if (typeof body.error === 'string') fault.error = body.error;
        if (typeof body.errorType === 'string') fault.errorType = body.errorType;
        if (typeof body.delayMs === 'number' && body.delayMs > 0) fault.delayMs = body.delayMs;
        if (body.noEffect === true) fault.noEffect = true;
        if (Object.keys(fault).length === 0) faults.delete(body.project);
        else faults.set(body.project, fault);
        return send(res, 200, { project: body.project, fault });
      }
      return send(res, 404, { message: `no control route ${method} ${path}` });
    }

    const m = /^\/2015-03-31\/functions\/([^/]+)(\/invocations|\/configuration)?\/?$/.exec(path);
    if (!m) return awsError(res, 404, 'UnknownOperationException', `Unknown operation ${method} ${path}`);
    const found = await resolveFunction(m[1], url.searchParams.get('Qualifier'));
    if (!found.ok) return awsError(res, 404, 'ResourceNotFoundException', found.message);

    if (m[2] === '/invocations' && method === 'POST') {
      const body = await readBody(req);
      if (body.length > 6 * 1024 * 1024) return awsError(res, 413, 'RequestTooLargeException', 'Request must be smaller than 6291456 bytes for the InvokeFunction operation');
      const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
      if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
        return awsError(res, 400, 'InvalidParameterValueException', `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`);
      }
      let payload: unknown = {};
      if (body.length > 0) {
        try {
          payload = JSON.parse(body.toString('utf8'));
        } catch (e) {
          return awsError(res, 400, 'InvalidRequestContentException', `Could not parse request body into json: Could not parse payload into json: ${(e as Error).message}`);
        }
      }
      if (type === 'DryRun') return send(res, 204, '', { 'x-amzn-RequestId': randomUUID() });
      const record: InvocationRecord = { requestId: randomUUID(), invocationType: type, payload, startedAt: new Date().toISOString() };
      invocations.push(record);
      const run = invoke(payload, record, type === 'RequestResponse' && req.headers['x-amz-log-type'] === 'Tail');
      if (type === 'Event') {
        run.catch(() => undefined);
        record.handlingMs = performance.now() - received;
        return send(res, 202, '', { 'x-amzn-RequestId': record.requestId });
      }
      const out = await run;
      // The deployer keeps running when the caller hangs up, as a Lambda does.
      res.on('error', () => undefined);
      send(res, 200, out.body, { ...out.headers, 'x-amzn-RequestId': record.requestId });
      record.handlingMs = performance.now() - received;
      return;
    }
    if (method === 'GET' && m[2] === '/configuration') return send(res, 200, await configuration(), { 'x-amzn-RequestId': randomUUID() });
    if (method === 'GET' && !m[2]) {
      return send(
        res,
        200,
        { Configuration: await configuration(), Code: { RepositoryType: 'S3', Location: `https://awslambda-${opts.region}-tasks.s3.${opts.region}.amazonaws.com/snapshots/${opts.functionName}` }, Tags: {} },
        { 'x-amzn-RequestId': randomUUID() },
      );
    }
    return awsError(res, 404, 'UnknownOperationException', `Unknown operation ${method} ${path}`);
  };

  const server = createServer((req, res) => {
    (opts.extraHandler ? opts.extraHandler(req, res) : Promise.resolve(false))
      .then((handled) => (handled ? undefined : handle(req, res)))
      .catch((e: Error) => {
      process.stderr.write(`deployer emulator: ${e.stack ?? e.message}\n`);
      if (!res.headersSent) awsError(res, 500, 'ServiceException', 'The deployer emulator failed; see its stderr.');
    });
  });
  // A synchronous invoke may legitimately take minutes: never cut a request short.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          for (const c of [db, s3, ecr, sts, logs]) c.destroy();
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

/** A small client for the emulator's control API, for tests, the sandbox and the bench. */
export function deployerControl(url: string) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(url + path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    if (!res.ok) throw new Error(`deployer emulator ${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    setFault: (project: string, fault: DeployerFault) => call<unknown>('POST', '/_sgn/faults', { project, ...fault }),
    invocations: async () => (await call<{ invocations: InvocationRecord[] }>('GET', '/_sgn/invocations')).invocations,
    reset: () => call<unknown>('POST', '/_sgn/reset'),
    /** The objects the last deploy of `project` to `env` applied, in order (what `sgn render` shows). */
    applied: async (project: string, env: string) => (await call<{ objects: Record<string, unknown>[] }>('GET', `/_sgn/applied?project=${encodeURIComponent(project)}&env=${encodeURIComponent(env)}`)).objects,
    /** Waits until no invocation is running (one whose caller hung up keeps running, as on Lambda). */
    idle: async (timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while ((await call<{ invocations: InvocationRecord[] }>('GET', '/_sgn/invocations')).invocations.some((i) => !i.outcome)) {
        if (Date.now() > deadline) throw new Error(`deployer emulator still busy after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
