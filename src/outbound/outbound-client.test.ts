import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as NetServer, Socket } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../lib/free-port.ts';
import { createOutboundClient } from './outbound-client.ts';
import type { OutboundClientOptions } from './outbound-client.ts';
import { OutboundBadResponse, OutboundNetworkError, OutboundRefused, OutboundTimeout, OutboundTooLarge } from './outbound-errors.ts';

// A provider's certificate, made for this run: valid for provider.test and 127.0.0.1 only.
let certificate: { readonly key: string; readonly cert: string };
const openServers: (Server | NetServer)[] = [];
const openSockets = new Set<Socket>();

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-outbound-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=provider.test', '-addext', 'subjectAltName=DNS:provider.test,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    certificate = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

afterAll(async () => {
  // Peers that never read would never see the client hang up: their sockets are closed here.
  for (const socket of openSockets) socket.destroy();
  await Promise.all(openServers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** What a test server saw of each request. */
interface Seen {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly servername: string | false | null | undefined;
}

async function listen(server: Server | NetServer): Promise<number> {
  openServers.push(server);
  server.on('connection', (socket: Socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A provider on a real port: `respond` answers each request, `seen` records them. */
async function startPeer(kind: 'http' | 'https', respond: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const listener: RequestListener = (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const servername = request.socket instanceof TLSSocket ? request.socket.servername : undefined;
      seen.push({ method: request.method, url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), servername });
      respond(request, response);
    });
  };
  const server = kind === 'https' ? createHttpsServer(certificate, listener) : createHttpServer(listener);
  return { port: await listen(server), seen };
}

const json = (status: number, value: unknown) => (_request: IncomingMessage, response: ServerResponse): void => {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
};

/** Private networks allowed (the local peers are on loopback); provider.test resolves to 127.0.0.1, counted. */
function localClient(options: OutboundClientOptions = {}) {
  const lookups: string[] = [];
  const client = createOutboundClient({
    allowPrivateNetwork: true,
    extraCaCertificates: [certificate.cert],
    resolveHost: async (hostname) => {
      lookups.push(hostname);
      return [{ address: '127.0.0.1', family: 4 }];
    },
    ...options,
  });
  return { client, lookups };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('outbound client: requests and responses', () => {
  it('sends a GET over http and returns status, headers, body and its JSON', async () => {
    const peer = await startPeer('http', json(200, { issuer: 'https://provider.test' }));
    const { client } = localClient();
    const response = await client.request({ method: 'GET', url: `http://127.0.0.1:${peer.port}/.well-known/openid-configuration?x=1`, headers: { 'X-Trace': 'abc' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.json()).toEqual({ issuer: 'https://provider.test' });
    expect(peer.seen[0]).toMatchObject({ method: 'GET', url: '/.well-known/openid-configuration?x=1', body: '' });
    expect(peer.seen[0]!.headers).toMatchObject({ 'user-agent': 'Gatehouse', accept: 'application/json', 'x-trace': 'abc', host: `127.0.0.1:${peer.port}` });
    expect(peer.seen[0]!.headers['content-length']).toBeUndefined();
  });

  it('connects over TLS to the address it resolved once, as the host name (SNI, Host, certificate)', async () => {
    const peer = await startPeer('https', json(200, { ok: true }));
    const { client, lookups } = localClient();
    const response = await client.request({ method: 'GET', url: `https://provider.test:${peer.port}/userinfo` });
    expect(response.json()).toEqual({ ok: true });
    expect(peer.seen[0]!.servername).toBe('provider.test');
    expect(peer.seen[0]!.headers.host).toBe(`provider.test:${peer.port}`);
    expect(lookups).toEqual(['provider.test']);
  });

  it('refuses a certificate not valid for the host, and one it does not trust', async () => {
    const peer = await startPeer('https', json(200, {}));
    const wrongName = await failure(localClient().client.request({ method: 'GET', url: `https://other.test:${peer.port}/` }));
    expect(wrongName).toBeInstanceOf(OutboundNetworkError);
    expect(wrongName).toMatchObject({ reason: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    const untrusted = await failure(localClient({ extraCaCertificates: [] }).client.request({ method: 'GET', url: `https://provider.test:${peer.port}/` }));
    expect(untrusted).toBeInstanceOf(OutboundNetworkError);
    expect(String(untrusted)).toContain('TLS');
    expect(peer.seen).toEqual([]);
  });

  it('sends a form body encoded as RFC 6749 Appendix B says, repeats included', async () => {
    const peer = await startPeer('https', json(200, { access_token: 'at' }));
    const { client } = localClient();
    await client.request({
      method: 'POST',
      url: `https://provider.test:${peer.port}/oauth/token`,
      body: { form: { grant_type: 'authorization_code', code: 'a b/c&d=é+', resource: ['https://a.example/', 'https://b.example/'] } },
    });
    expect(peer.seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(peer.seen[0]!.body).toBe('grant_type=authorization_code&code=a+b%2Fc%26d%3D%C3%A9%2B&resource=https%3A%2F%2Fa.example%2F&resource=https%3A%2F%2Fb.example%2F');
    expect(peer.seen[0]!.headers['content-length']).toBe(String(peer.seen[0]!.body.length));
  });

  it('sends a JSON body, and a bodiless POST with a zero length rather than chunked', async () => {
    const peer = await startPeer('http', json(200, {}));
    const { client } = localClient();
    await client.request({ method: 'POST', url: `http://127.0.0.1:${peer.port}/token`, body: { json: { grant_type: 'refresh_token', refresh_token: 'r' } } });
    await client.request({ method: 'POST', url: `http://127.0.0.1:${peer.port}/revoke` });
    expect(peer.seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(peer.seen[0]!.body)).toEqual({ grant_type: 'refresh_token', refresh_token: 'r' });
    expect(peer.seen[1]!.headers).toMatchObject({ 'content-length': '0' });
    expect(peer.seen[1]!.headers['transfer-encoding']).toBeUndefined();
  });

  it('lets the caller choose Accept and Content-Type, not Host or the framing', async () => {
    const peer = await startPeer('http', json(200, {}));
    const { client } = localClient();
    await client.request({ method: 'POST', url: `http://127.0.0.1:${peer.port}/t`, headers: { Accept: 'text/plain', 'Content-Type': 'application/json; charset=utf-8' }, body: { json: {} } });
    expect(peer.seen[0]!.headers).toMatchObject({ accept: 'text/plain', 'content-type': 'application/json; charset=utf-8' });
    for (const name of ['Host', 'content-length', 'Transfer-Encoding', 'Connection']) {
      const refused = await failure(client.request({ method: 'GET', url: `http://127.0.0.1:${peer.port}/`, headers: { [name]: 'x' } }));
      expect(refused).toBeInstanceOf(OutboundRefused);
      expect(refused).toMatchObject({ rule: 'header' });
    }
    const badValue = await failure(client.request({ method: 'GET', url: `http://127.0.0.1:${peer.port}/`, headers: { authorization: 'Bearer s3cret\r\nX-Injected: 1' } }));
    expect(badValue).toMatchObject({ rule: 'header' });
    expect(String(badValue)).toContain('authorization');
    expect(String(badValue)).not.toContain('s3cret');
    expect(peer.seen).toHaveLength(1);
  });

  it('follows no redirect: a 3xx is the answer', async () => {
    const peer = await startPeer('http', (request, response) => {
      if (request.url === '/token') response.writeHead(302, { location: `/elsewhere` }).end();
      else json(200, { followed: true })(request, response);
    });
    const response = await localClient().client.request({ method: 'POST', url: `http://127.0.0.1:${peer.port}/token`, body: { form: { code: 'c' } } });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/elsewhere');
    expect(peer.seen.map((s) => s.url)).toEqual(['/token']);
  });
});

describe('outbound client: bounded in time and size', () => {
  it('gives up on a server that never answers, with a typed timeout naming no secret', async () => {
    const peer = await startPeer('http', () => {});
    const started = Date.now();
    const error = await failure(localClient().client.request({ method: 'POST', url: `http://127.0.0.1:${peer.port}/token?client_secret=hunter2`, headers: { authorization: 'Basic aHVudGVyMg==' }, body: { form: { code: 'hunter2' } }, timeoutMs: 300 }));
    expect(error).toBeInstanceOf(OutboundTimeout);
    expect(error).toMatchObject({ phase: 'response', timeoutMs: 300, destination: `http://127.0.0.1:${peer.port}/token` });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(String(error)).not.toMatch(/hunter2|aHVudGVyMg/);
  });

  it('gives up on a peer that accepts the connection but never completes the TLS handshake', async () => {
    const port = await listen(createTcpServer(() => {}));
    const error = await failure(localClient({ connectTimeoutMs: 200 }).client.request({ method: 'GET', url: `https://provider.test:${port}/` }));
    expect(error).toBeInstanceOf(OutboundTimeout);
    expect(error).toMatchObject({ phase: 'connect', timeoutMs: 200 });
  });

  it('counts resolving the host in the time allowed', async () => {
    const never = createOutboundClient({ allowPrivateNetwork: true, resolveHost: () => new Promise(() => {}) });
    const error = await failure(never.request({ method: 'GET', url: 'https://provider.test/', timeoutMs: 200 }));
    expect(error).toMatchObject({ phase: 'response', timeoutMs: 200 });
  });

  it('stops reading a response that streams past the limit', async () => {
    const peer = await startPeer('http', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        if (!response.destroyed) response.write(chunk, () => setImmediate(pump));
      };
      pump();
    });
    const error = await failure(localClient().client.request({ method: 'GET', url: `http://127.0.0.1:${peer.port}/`, maxResponseBytes: 200_000 }));
    expect(error).toBeInstanceOf(OutboundTooLarge);
    expect(error).toMatchObject({ limitBytes: 200_000 });
  });

  it('refuses a declared length past the limit before reading, and takes 1 MiB by default', async () => {
    const peer = await startPeer('http', (request, response) => {
      const size = request.url === '/huge' ? 1024 * 1024 + 1 : 1024 * 1024;
      response.writeHead(200, { 'content-length': String(size) }).end(Buffer.alloc(size));
    });
    const { client } = localClient();
    expect((await client.request({ method: 'GET', url: `http://127.0.0.1:${peer.port}/exact` })).body.length).toBe(1024 * 1024);
    expect(await failure(client.request({ method: 'GET', url: `http://127.0.0.1:${peer.port}/huge` }))).toBeInstanceOf(OutboundTooLarge);
  });
});

describe('outbound client: broken peers', () => {
  it('says a body that is not JSON is not JSON, quoting none of it', async () => {
    const peer = await startPeer('http', (request, response) => {
      if (request.url === '/html') response.writeHead(200, { 'content-type': 'text/html' }).end('<html>secret-ish page</html>');
      else if (request.url === '/latin1') response.writeHead(200).end(Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d]));
      else response.writeHead(502).end();
    });
    const { client } = localClient();
    for (const path of ['/html', '/latin1', '/empty']) {
      const response = await client.request({ method: 'GET', url: `http://127.0.0.1:${peer.port}${path}` });
      const error = (() => {
        try {
          response.json();
        } catch (caught) {
          return caught;
        }
        throw new Error('expected json() to fail');
      })();
      expect(error).toBeInstanceOf(OutboundBadResponse);
      expect(error).toMatchObject({ status: response.status });
      expect(String(error)).not.toContain('secret-ish');
    }
  });

  it('reads JSON with a byte order mark', async () => {
    const peer = await startPeer('http', (_request, response) => response.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')])));
    expect((await localClient().client.request({ method: 'GET', url: `http://127.0.0.1:${peer.port}/` })).json()).toEqual({ a: 1 });
  });

  it('reports a refused connection and a connection cut mid-body as network errors', async () => {
    const closedPort = await findFreePort('127.0.0.1');
    const { client } = localClient();
    expect(await failure(client.request({ method: 'GET', url: `http://127.0.0.1:${closedPort}/` }))).toMatchObject({ code: 'outbound_network_error', reason: 'ECONNREFUSED' });
    const peer = await startPeer('http', (_request, response) => {
      response.writeHead(200, { 'content-length': '1000' });
      response.write('{"access_', () => response.socket?.destroy());
    });
    const cut = await failure(client.request({ method: 'GET', url: `http://127.0.0.1:${peer.port}/` }));
    expect(cut).toBeInstanceOf(OutboundNetworkError);
  });

  it('reports a peer that does not speak HTTP', async () => {
    const port = await listen(createTcpServer((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n')));
    const error = await failure(localClient().client.request({ method: 'GET', url: `http://127.0.0.1:${port}/` }));
    expect(error).toBeInstanceOf(OutboundNetworkError);
  });
});
