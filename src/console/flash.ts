/**
 * Messages shown once after a change (Post/Redirect/Get): the redirect names one of these fixed
 * keys in `?flash=`, never a text, so nothing typed by anyone travels in the URL or can be made to
 * appear on the page by a link. An unknown key shows nothing.
 */
export const FLASH_MESSAGES = {
  client_updated: 'The client was saved.',
  client_created: 'The client was created. It is a public client, so it has no secret: it uses PKCE.',
  // Registrations, the client lifecycle and custom scopes (registration-pages.ts, client-lifecycle-pages.ts, scope-pages.ts).
  registration_approved: 'The registration was approved: the client can sign people in now.',
  registration_rejected: 'The registration was rejected. The reason is kept in the audit log.',
  registration_policy_saved: 'The registration policy was saved.',
  client_suspended: 'The client was suspended: everything issued to it was revoked, and it gets nothing new until reactivated.',
  client_reactivated: 'The client was reactivated.',
  client_deleted: 'The client was deleted, and everything issued to it revoked.',
  scope_created: 'The custom scope was added.',
  scope_updated: 'The custom scope was saved.',
  scope_deleted: 'The custom scope was removed: its attributes are no longer released.',
  // Constituents (constituent-pages.ts).
  constituent_created: 'The constituent was created.',
  constituent_updated: 'The profile was saved.',
  constituent_disabled: 'The constituent was disabled: signed out everywhere, every token revoked.',
  constituent_enabled: 'The constituent was enabled: it can sign in again.',
  constituent_password_set: 'The password was set, and the constituent signed out everywhere.',
  constituent_grant_revoked: "The application's access was revoked.",
  constituent_session_ended: 'The session was ended.',
  constituent_sessions_ended: 'Every session was ended: the constituent is signed out everywhere.',
  // Staff and API access (staff-pages.ts).
  staff_created: 'The staff user was created.',
  staff_updated: 'The staff user was saved.',
  staff_disabled: 'The staff user was disabled: it was signed out and its API keys were revoked.',
  staff_enabled: 'The staff user was enabled. It can sign in again; its old API keys stay revoked.',
  staff_password_set: 'The console password was set. The user\'s console sessions were ended; its API keys keep working.',
  api_key_revoked: 'The API key was revoked: it no longer works.',
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
  // The remaining gaps (console-F): deleting a webhook endpoint, renaming and deleting an account, editing an account connector.
  webhook_deleted: 'The endpoint was deleted, with its deliveries.',
  account_renamed: 'The account was renamed.',
  account_deleted: 'The account was deleted, with its connectors and their credentials.',
  account_connector_updated: 'The connector was saved.',
  // Settings and branding (settings-pages.ts).
  settings_saved: 'The settings were saved. The hosted pages use them from now on.',
} as const;

export type FlashKey = keyof typeof FLASH_MESSAGES;

/** The flash key a query names, or null for none or an unknown one. */
export function flashKeyOf(raw: string | undefined): FlashKey | null {
  return raw !== undefined && Object.hasOwn(FLASH_MESSAGES, raw) ? (raw as FlashKey) : null;
}
