import http from 'node:http';

/** A loopback HTTP server in this process, for faults a real registry cannot be asked to make. */
export interface Served {
  host: string;
  close(): Promise<void>;
}

/** Serves `handler` on a free loopback port; `close()` also drops kept-alive connections. */
export async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Served> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
