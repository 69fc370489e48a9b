import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundClient } from './outbound-client.ts';
import { OutboundNetworkError, OutboundRefused } from './outbound-errors.ts';

// A server on loopback that counts what reaches it: a refused call must not.
let server: Server;
let port: number;
let reached = 0;

beforeAll(async () => {
  server = createServer((_request, response) => {
    reached += 1;
    response.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  port = address.port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function refusal(promise: Promise<unknown>): Promise<OutboundRefused> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OutboundRefused) return error;
    throw error;
  }
  throw new Error('expected the call to be refused');
}

describe('outbound client: where it may not go (private networks not allowed)', () => {
  const client = createOutboundClient();

  it.each([
    ['https://127.0.0.1/token', 'loopback'],
    ['https://127.8.9.10/token', 'loopback'],
    ['https://[::1]/token', 'loopback ::1'],
    ['https://[::ffff:127.0.0.1]/token', 'IPv4-mapped'],
    ['https://[::ffff:a9fe:a9fe]/latest/meta-data/', 'link-local'],
    ['https://10.1.2.3/token', 'RFC 1918'],
    ['https://192.168.0.1/token', 'RFC 1918'],
    ['https://169.254.169.254/latest/meta-data/', 'link-local'],
    ['https://100.100.100.200/', 'RFC 6598'],
    ['https://0.0.0.0/', 'this network'],
    ['https://[fd00::1]/', 'unique local'],
    ['https://[fe80::1]/', 'link-local'],
    // The URL parser reads these as 127.0.0.1 before anything is judged (WHATWG URL's IPv4 parser).
    ['https://2130706433/', 'loopback'],
    ['https://0x7f.1/', 'loopback'],
    ['https://017700000001/', 'loopback'],
  ])('refuses %s (%s) before connecting', async (url, range) => {
    const refused = await refusal(client.request({ method: 'GET', url }));
    expect(refused.rule).toBe('address');
    expect(refused.message).toContain(range);
    expect(refused.message).toContain('OUTBOUND_ALLOW_PRIVATE_NETWORK');
  });

  it('refuses localhost, which the system resolver answers with loopback, and never reaches it', async () => {
    const refused = await refusal(client.request({ method: 'GET', url: `https://localhost:${port}/token` }));
    expect(refused.rule).toBe('address');
    expect(refused.message).toContain('localhost resolves to an address that is not public');
    expect(['127.0.0.1', '::1']).toContain(refused.address);
    const overHttp = await refusal(client.request({ method: 'GET', url: `http://127.0.0.1:${port}/token` }));
    expect(overHttp.rule).toBe('scheme');
    expect(reached).toBe(0);
  });

  it('refuses a host name if any of its addresses is not public (DNS answers cannot pick for us)', async () => {
    const mixed = createOutboundClient({ resolveHost: async () => [{ address: '93.184.215.14', family: 4 }, { address: '10.0.0.7', family: 4 }] });
    const refused = await refusal(mixed.request({ method: 'GET', url: 'https://provider.example/token' }));
    expect(refused).toMatchObject({ rule: 'address', address: '10.0.0.7' });
    // The resolved address is the operator's to read in a log, not the message's to say.
    expect(refused.message).not.toContain('10.0.0.7');
  });

  it('refuses a name whose DNS answers loopback, judging the one answer it connects with', async () => {
    const lookups: string[] = [];
    const pointedAtUs = createOutboundClient({
      resolveHost: async (hostname) => {
        lookups.push(hostname);
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const refused = await refusal(pointedAtUs.request({ method: 'GET', url: `https://customer-controlled.example:${port}/` }));
    expect(refused).toMatchObject({ rule: 'address', address: '127.0.0.1' });
    expect(lookups).toEqual(['customer-controlled.example']);
    expect(reached).toBe(0);
  });

  it.each([
    ['http://provider.example/token', 'scheme', 'only https: URLs'],
    ['ftp://provider.example/token', 'scheme', 'not ftp:'],
    ['file:///etc/passwd', 'scheme', 'not file:'],
    ['https://client:secret@provider.example/token', 'credentials_in_url', 'carries credentials'],
    ['not a url?code=abc', 'url', 'not an absolute URL'],
  ])('refuses %s (%s)', async (url, rule, text) => {
    const refused = await refusal(client.request({ method: 'GET', url }));
    expect(refused.rule).toBe(rule);
    expect(refused.message).toContain(text);
    expect(refused.message).not.toMatch(/secret|code=abc/);
  });

  it('never says a query string or a body in its errors', async () => {
    const refused = await refusal(client.request({ method: 'POST', url: 'https://10.0.0.1/token?client_secret=hunter2', body: { form: { code: 'hunter2' } } }));
    expect(refused.destination).toBe('https://10.0.0.1/token');
    expect(refused.message).not.toContain('hunter2');
  });

  it('reports a name that does not resolve as a network error', async () => {
    const error = await createOutboundClient()
      .request({ method: 'GET', url: 'https://gatehouse-test.invalid/' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutboundNetworkError);
    expect(String(error)).toContain('gatehouse-test.invalid could not be resolved');
  });
});

describe('outbound client: private networks allowed (development, tests)', () => {
  it('calls http: on loopback, through localhost too', async () => {
    const client = createOutboundClient({ allowPrivateNetwork: true });
    const before = reached;
    expect((await client.request({ method: 'GET', url: `http://127.0.0.1:${port}/` })).status).toBe(200);
    // localhost may resolve to ::1 first: every checked address is offered, and the IPv4 one answers.
    expect((await client.request({ method: 'GET', url: `http://localhost:${port}/` })).status).toBe(200);
    expect(reached).toBe(before + 2);
  });

  it('still refuses schemes other than http: and https:, and credentials in the URL', async () => {
    const client = createOutboundClient({ allowPrivateNetwork: true });
    expect((await refusal(client.request({ method: 'GET', url: 'ftp://127.0.0.1/' }))).rule).toBe('scheme');
    expect((await refusal(client.request({ method: 'GET', url: `http://a:b@127.0.0.1:${port}/` }))).rule).toBe('credentials_in_url');
  });
});
