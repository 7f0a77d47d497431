// Interim entry until the deployer emulator lands: answers the sandbox's health check only.
import { createServer } from 'node:http';

const args = process.argv.slice(2);
const port = Number(args[args.indexOf('--port') + 1]);
const server = createServer((req, res) => {
  res.writeHead(req.url === '/_sgn/invocations' ? 200 : 404, { 'content-type': 'application/json' });
  res.end('[]');
});
server.listen(port, '127.0.0.1');
process.on("SIGTERM", () => server.close());
