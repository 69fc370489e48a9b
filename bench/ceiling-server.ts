/**
 * Calibration: the fastest answer a Node HTTP server can give on this machine while the load
 * generator shares its CPUs. One route, one fixed JSON body the size of a discovery document,
 * no framework, no storage. No OAuth server can beat it here, so ratios above
 * ceiling ÷ oidc-provider cannot be measured on this machine.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tellParent } from './protocol.ts';

const BODY = JSON.stringify({ issuer: 'http://127.0.0.1/o/bench', padding: 'x'.repeat(1500) });

const server = createServer((_request, response) => {
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
