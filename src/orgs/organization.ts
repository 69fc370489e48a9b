import type { OrgSettings } from './settings.ts';

/** An organization: a tenant, and the issuer of its own OAuth 2.0 / OpenID Connect provider. */
export interface Organization {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly settings: OrgSettings;
  readonly createdAt: number;
  readonly updatedAt: number;
}
