import { describe, expect, it } from 'vitest';
import type { DemoOrganization } from '../demo.ts';
import { demoText } from './start.ts';

const demo: DemoOrganization = {
  orgId: 'org_1',
  slug: 'demo',
  issuer: 'http://localhost:3000/o/demo',
  constituent: { accountId: '1001', username: 'demo', password: 'four random words' },
  client: { clientId: 'CLIENT1', clientSecret: 'gsec_secret', redirectUri: 'http://localhost:8080/callback' },
  staff: { userId: 'stf_1', email: 'admin@example.org', apiKey: 'gkey_x_y' },
  authorizationUrl: 'http://localhost:3000/o/demo/authorize?response_type=code',
  codeVerifier: 'verifier',
};

// Regression (issue 9 items 13 and 18): the banner offered an authorization URL whose redirect
// landed on a dead page and no token request; it now gives commands that work end to end.
describe('the first-start banner', () => {
  const text = demoText(demo);

  // Regression (issue 9 review): the secret was an argument (--client-secret), which `ps` shows to
  // every user of the machine; it goes in the environment, which try reads.
  it('gives the gatehouse try command for the demo client, with its issuer and its secret in the environment, instead of a dead authorization URL', () => {
    expect(text).toContain('\n   CLIENT_SECRET=gsec_secret npx gatehouse try --issuer http://localhost:3000/o/demo --client-id CLIENT1\n');
    expect(text).not.toContain('--client-secret');
    expect(text).toContain("Sign in as 'demo' with the password above.");
    expect(text).not.toContain(demo.authorizationUrl);
  });

  it('shows how to make a service client that gets a token', () => {
    expect(text).toContain('npx gatehouse client create --org demo --name "Demo Sync" --grant client_credentials --scope demo.sync\n');
    expect(text).toContain('curl -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials http://localhost:3000/o/demo/token\n');
  });
});
