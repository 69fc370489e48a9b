/**
 * Messages shown once after a change (Post/Redirect/Get): the redirect names one of these fixed
 * keys in `?flash=`, never a text, so nothing typed by anyone travels in the URL or can be made to
 * appear on the page by a link. An unknown key shows nothing.
 */
export const FLASH_MESSAGES = {
  client_updated: 'The client was saved.',
  client_created: 'The client was created. It is a public client, so it has no secret: it uses PKCE.',
  // Connectors and webhooks (console-D).
  app_connector_installed: 'The app connector was installed. Register the redirect URI below at the provider.',
  app_connector_updated: 'The app connector was saved.',
  app_connector_removed: 'The app connector was removed.',
  account_created: 'The account was created.',
  account_connector_added: 'The connector was added. Send the customer a connect link to authenticate it.',
  account_connector_deauthenticated: 'The connector was deauthenticated: its credentials are gone.',
  account_connector_disabled: 'The connector was disabled.',
  account_connector_enabled: 'The connector was enabled.',
  webhook_updated: 'The endpoint was saved.',
  webhook_test_delivered: 'The test message was delivered: see the first delivery below.',
  webhook_test_failed: 'The test message was not delivered: the first delivery below says why. It will be retried.',
} as const;

export type FlashKey = keyof typeof FLASH_MESSAGES;

/** The flash key a query names, or null for none or an unknown one. */
export function flashKeyOf(raw: string | undefined): FlashKey | null {
  return raw !== undefined && Object.hasOwn(FLASH_MESSAGES, raw) ? (raw as FlashKey) : null;
}
