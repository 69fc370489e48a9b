/**
 * Messages shown once after a change (Post/Redirect/Get): the redirect names one of these fixed
 * keys in `?flash=`, never a text, so nothing typed by anyone travels in the URL or can be made to
 * appear on the page by a link. An unknown key shows nothing.
 */
export const FLASH_MESSAGES = {
  client_updated: 'The client was saved.',
  client_created: 'The client was created. It is a public client, so it has no secret: it uses PKCE.',
  // Staff and API access (staff-pages.ts).
  staff_created: 'The staff user was created.',
  staff_updated: 'The staff user was saved.',
  staff_disabled: 'The staff user was disabled: it was signed out and its API keys were revoked.',
  staff_enabled: 'The staff user was enabled. It can sign in again; its old API keys stay revoked.',
  staff_password_set: 'The console password was set. The user\'s console sessions were ended; its API keys keep working.',
  api_key_revoked: 'The API key was revoked: it no longer works.',
} as const;

export type FlashKey = keyof typeof FLASH_MESSAGES;

/** The flash key a query names, or null for none or an unknown one. */
export function flashKeyOf(raw: string | undefined): FlashKey | null {
  return raw !== undefined && Object.hasOwn(FLASH_MESSAGES, raw) ? (raw as FlashKey) : null;
}
