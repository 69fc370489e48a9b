import type { Credentials } from './connector.ts';
import { stringRecordFromJson } from './json-columns.ts';

// Credentials as the vault holds them: snake_case JSON, sealed whole (accountConnectorCredentialsAad).

export function credentialsToJson(credentials: Credentials): string {
  return JSON.stringify({
    access_token: credentials.accessToken,
    refresh_token: credentials.refreshToken,
    token_type: credentials.tokenType,
    access_expires_at: credentials.accessExpiresAt,
    refresh_expires_at: credentials.refreshExpiresAt,
    metadata: credentials.metadata,
  });
}

/** The credentials an opened vault value holds; throws on anything credentialsToJson did not write. */
export function credentialsFromJson(text: string): Credentials {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) throw new Error('sealed credentials are not a JSON object');
  const record: Readonly<Record<string, unknown>> = Object.fromEntries(Object.entries(value));
  const requiredString = (key: string): string => {
    const item = record[key];
    if (typeof item !== 'string') throw new Error(`sealed credentials: ${key} is not a string`);
    return item;
  };
  const optionalString = (key: string): string | null => (record[key] === null || record[key] === undefined ? null : requiredString(key));
  const optionalNumber = (key: string): number | null => {
    const item = record[key];
    if (item === null || item === undefined) return null;
    if (typeof item !== 'number') throw new Error(`sealed credentials: ${key} is not a number`);
    return item;
  };
  return {
    accessToken: requiredString('access_token'),
    refreshToken: optionalString('refresh_token'),
    tokenType: requiredString('token_type'),
    accessExpiresAt: optionalNumber('access_expires_at'),
    refreshExpiresAt: optionalNumber('refresh_expires_at'),
    metadata: stringRecordFromJson('sealed credentials: metadata', JSON.stringify(record.metadata ?? {})),
  };
}
