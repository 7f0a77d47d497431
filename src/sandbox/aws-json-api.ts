import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

// The wire plumbing the sandbox's AWS JSON 1.1 emulators share (CodeBuild, CodePipeline): POST /
// with `X-Amz-Target: <prefix>.<Operation>`, JSON bodies, `__type` errors, epoch-second times,
// opaque pagination tokens, and faults injected per operation.

/** A fault the next calls of an operation answer with. */
export interface EmulatorFault {
  /** The AWS error code, e.g. ThrottlingException, AccessDeniedException. */
  name: string;
  message: string;
  status?: number;
}

/** An AWS error answer: `{"__type": code, "message"}` with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** AWS JSON timestamps: epoch seconds. */
export const epoch = (d: Date | undefined) => (d ? d.getTime() / 1000 : undefined);

/** An opaque next token for a list offset. */
export const encodeToken = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64');

/** The offset of a next token: 0 when absent, undefined when it is not one of ours. */
export const decodeToken = (token: unknown): number | undefined => {
  if (token === undefined || token === null) return 0;
  if (typeof token !== 'string') return undefined;
  try {
    const offset = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown }).offset;
    return typeof offset === 'number' && offset >= 0 ? offset : undefined;
  } catch {
    return undefined;
  }
};

export type Operations = Record<string, (body: Record<string, unknown>) => unknown>;

export interface JsonApi {
  /** Serves a request of this API; false when it is not one (another handler may take it). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  injectFault(operation: string, fault: EmulatorFault, times?: number): void;
  /** The next `times` calls of `operation` are refused as AWS refuses a caller without `<service>:<operation>`. */
  denyAccess(operation: string, times?: number): void;
  /** Every call received so far, by operation. */
  calls(): Record<string, number>;
  /** Resolves once the next `operation` request has been answered (tests order events by it). */
  answered(operation: string): Promise<void>;
  /** Forgets faults and counts. */
  reset(): void;
}

/** The JSON 1.1 front of an emulated service: `target` is the X-Amz-Target prefix with its dot. */
export function jsonApi(opts: { target: string; service: string; name: string; region: string; accountId: string; resource: string; operations: Operations }): JsonApi {
  const faults = new Map<string, { fault: EmulatorFault; times: number }[]>();
  const served: Record<string, number> = {};
  const waiters = new Map<string, (() => void)[]>();
  const send = (res: ServerResponse, status: number, body: unknown, errorType?: string) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    res.end(text);
  };
  const api: JsonApi = {
    async handle(req, res) {
      const header = req.headers['x-amz-target'];
      if (req.method !== 'POST' || typeof header !== 'string' || !header.startsWith(opts.target)) return false;
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const op = header.slice(opts.target.length);
      served[op] = (served[op] ?? 0) + 1;
      try {
        let body: Record<string, unknown>;
        try {
          body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
        } catch {
          throw new ApiError('SerializationException', 'Start of structure or map found where not expected.');
        }
        const queued = faults.get(op);
        if (queued?.length) {
          const next = queued[0];
          if (--next.times <= 0) queued.shift();
          throw new ApiError(next.fault.name, next.fault.message, next.fault.status ?? 400);
        }
        const handler = opts.operations[op];
        if (!handler) throw new ApiError('UnknownOperationException', `The sgn ${opts.name} emulator does not serve ${op}.`);
        send(res, 200, handler(body));
        const waiting = waiters.get(op) ?? [];
        waiters.delete(op);
        for (const w of waiting) w();
      } catch (e) {
        if (e instanceof ApiError) send(res, e.status, { __type: e.code, message: e.message }, e.code);
        else send(res, 500, { __type: 'InternalFailure', message: (e as Error).message }, 'InternalFailure');
      }
      return true;
    },
    injectFault(operation, fault, times = 1) {
      faults.set(operation, [...(faults.get(operation) ?? []), { fault, times }]);
    },
    denyAccess(operation, times = 1) {
      const action = `${opts.service}:${operation}`;
      api.injectFault(
        operation,
        {
          name: 'AccessDeniedException',
          message: `User: arn:aws:iam::${opts.accountId}:user/developer is not authorized to perform: ${action} on resource: ${opts.resource} because no identity-based policy allows the ${action} action`,
        },
        times,
      );
    },
    calls: () => ({ ...served }),
    answered: (operation) => new Promise<void>((resolve) => waiters.set(operation, [...(waiters.get(operation) ?? []), resolve])),
    reset() {
      faults.clear();
      for (const k of Object.keys(served)) delete served[k];
    },
  };
  return api;
}

export interface EmulatorServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves one emulator's handler on its own loopback port (tests, the bench): a request it does
 * not handle gets 404 with `notFound`, a handler that throws gets 500 with the message.
 */
export function serveEmulator(handle: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>, notFound: string, opts: { port?: number; host?: string } = {}): Promise<EmulatorServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    handle(req, res).then(
      (handled) => {
        if (!handled) {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end(`${notFound}\n`);
        }
      },
      (e: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(e.message);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://${host}:${port}`,
        port,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
