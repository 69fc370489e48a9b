/**
 * The provider's API for the connector_proxy scenario: one fixed JSON answer of about 1 KB to any
 * GET that carries an Authorization header (the key the proxy injects), 401 without one. The same
 * server is called directly and through Gatehouse's proxy, so the difference is the proxy's.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tellParent } from './protocol.ts';

const BODY = JSON.stringify({ data: [{ id: 1, name: 'Ada' }], padding: 'x'.repeat(1000) });

const server = createServer((request, response) => {
  if (request.headers.authorization === undefined) {
    response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(BODY) });
  response.end(BODY);
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  tellParent({ type: 'listening', url: `http://127.0.0.1:${port}` });
});
const stop = (): void => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
