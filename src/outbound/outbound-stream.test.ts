import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundClient } from './outbound-client.ts';
import { OutboundRefused, OutboundTimeout, OutboundTooLarge } from './outbound-errors.ts';

// client.stream: the same destination checks as request(), the body streamed both ways and
// bounded in time and size until its last byte.

let server: Server;
let origin: string;
let reached = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((request, response) => {
    reached += 1;
    const url = new URL(request.url ?? '/', 'http://x');
    if (url.pathname === '/slow-body') {
      response.writeHead(200);
      response.write('first bytes');
      return; // never ends
    }
    if (url.pathname === '/big') {
      const bytes = Number(url.searchParams.get('bytes'));
      response.writeHead(200, url.searchParams.has('declare') ? { 'content-length': String(bytes) } : {});
      response.write(Buffer.alloc(bytes / 2));
      response.end(Buffer.alloc(bytes / 2));
      return;
    }
    const hash = createHash('sha256');
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    request.on('end', () => response.writeHead(201, { 'x-echo': 'yes' }).end(JSON.stringify({ length, sha256: hash.digest('hex'), te: request.headers['transfer-encoding'] ?? null, ua: request.headers['user-agent'] })));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  origin = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

async function read(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('outbound client: stream', () => {
  const client = createOutboundClient({ allowPrivateNetwork: true });

  it('sends a stream chunked and hands the answer over with its headers and a body stream', async () => {
    const sent = randomBytes(512 * 1024);
    const answer = await client.stream({ method: 'POST', url: `${origin}/echo`, body: Readable.from([sent.subarray(0, 1000), sent.subarray(1000)]) });
    expect(answer.status).toBe(201);
    expect(answer.headers['x-echo']).toBe('yes');
    expect(JSON.parse((await read(answer.body)).toString())).toEqual({ length: sent.length, sha256: createHash('sha256').update(sent).digest('hex'), te: 'chunked', ua: 'Gatehouse' });
  });

  it('fails the body stream with OutboundTimeout when the last byte does not come in time, after handing over the first', async () => {
    const answer = await client.stream({ method: 'GET', url: `${origin}/slow-body`, timeoutMs: 200 });
    expect(answer.status).toBe(200);
    const error = await read(answer.body).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutboundTimeout);
  });

  it('fails the body stream with OutboundTooLarge past the limit', async () => {
    // Declared: refused before the body is read.
    await expect(client.stream({ method: 'GET', url: `${origin}/big?bytes=2000&declare`, maxResponseBytes: 1000 })).rejects.toBeInstanceOf(OutboundTooLarge);
    // Streamed: cut once past it.
    const answer = await client.stream({ method: 'GET', url: `${origin}/big?bytes=2000000`, maxResponseBytes: 1000 });
    expect(answer.status).toBe(200);
    await expect(read(answer.body)).rejects.toBeInstanceOf(OutboundTooLarge);
  });

  it('refuses what request() refuses, before connecting: a private address, http:, its own headers', async () => {
    const before = reached;
    const strict = createOutboundClient();
    await expect(strict.stream({ method: 'GET', url: `https://127.0.0.1:${new URL(origin).port}/` })).rejects.toMatchObject({ rule: 'address' });
    await expect(strict.stream({ method: 'GET', url: `${origin}/` })).rejects.toMatchObject({ rule: 'scheme' });
    await expect(client.stream({ method: 'GET', url: `${origin}/`, headers: { host: 'elsewhere.example' } })).rejects.toBeInstanceOf(OutboundRefused);
    expect(reached).toBe(before);
  });
});
