import type { DemoOrganization } from '../demo.ts';
import { createLogger, createServerLogDestination } from '../http/logging.ts';
import { closeOnSignals, exitOnFatalErrors, startServer } from '../main.ts';
import type { Command } from './command.ts';

export const start: Command = {
  name: 'start',
  summary: 'Run the server (migrates, and creates the demo organization on a first start)',
  synopsis: 'start [--json]',
  options: {},
  async run({ config, json }) {
    // With --json, stdout carries exactly one JSON object, so the logs go to stderr.
    const destination = createServerLogDestination(json ? 2 : 1);
    const logger = createLogger({ level: config.logLevel, destination });
    exitOnFatalErrors(logger, destination);
    const server = await startServer(config, logger);
    closeOnSignals(server, logger);
    // The startup lines go out before what the command prints (the demo's secrets, --json).
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    const base = { url: server.listeningUrl, public_url: server.publicUrl, store: server.storage.dialect, migrations_applied: server.appliedMigrations };
    return {
      json: { ...base, demo: server.demo === undefined ? null : demoJson(server.demo) },
      text: server.demo === undefined ? '' : demoText(server.demo),
    };
  },
};

function demoJson(demo: DemoOrganization): Record<string, unknown> {
  return {
    org_id: demo.orgId,
    slug: demo.slug,
    issuer: demo.issuer,
    constituent: { account_id: demo.constituent.accountId, username: demo.constituent.username, password: demo.constituent.password },
    client: { client_id: demo.client.clientId, client_secret: demo.client.clientSecret, redirect_uri: demo.client.redirectUri },
    staff: { user_id: demo.staff.userId, email: demo.staff.email, api_key: demo.staff.apiKey },
    authorization_url: demo.authorizationUrl,
    code_verifier: demo.codeVerifier,
    try_command: tryCommandLine(demo),
  };
}

/**
 * The command that signs in through the demo client end to end (`gatehouse try`), for the banner.
 * The secret goes in the environment, not on the command line, where `ps` shows it to every user.
 */
export function tryCommandLine(demo: DemoOrganization): string {
  return `CLIENT_SECRET=${demo.client.clientSecret} npx gatehouse try --issuer ${demo.issuer} --client-id ${demo.client.clientId}`;
}

export function demoText(demo: DemoOrganization): string {
  return `
================================================================================
 First start: created the demo organization. These secrets are shown ONCE.
================================================================================
 Issuer (OpenID provider):  ${demo.issuer}

 Constituent (signs in to apps)
   login name:    ${demo.constituent.username}
   password:      ${demo.constituent.password}
   account id:    ${demo.constituent.accountId}

 OAuth client "Demo App" (confidential)
   client_id:     ${demo.client.clientId}
   client_secret: ${demo.client.clientSecret}
   redirect_uri:  ${demo.client.redirectUri}

 Staff user (owner) with API access
   email:         ${demo.staff.email}
   user id:       ${demo.staff.userId}
   API key:       ${demo.staff.apiKey}

 Try a sign-in as an app would, in another terminal:
   ${tryCommandLine(demo)}
 It listens on ${demo.client.redirectUri}, prints the URL to open (code flow, PKCE,
 state, nonce), redeems the code with the secret, checks the ID token, shows userinfo.
 Sign in as '${demo.constituent.username}' with the password above.

 A service client (machine to machine) names the scope its tokens carry:
   npx gatehouse client create --org ${demo.slug} --name "Demo Sync" --grant client_credentials --scope demo.sync
   curl -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials ${demo.issuer}/token
================================================================================
`;
}
