import { Type, type Static } from '@sinclair/typebox';
import { etagOf, versionFromIfMatch } from '../http/etag.ts';
import { apiRoute, operationOf, type ApiRoute } from '../api/management-api.ts';
import { MAX_CONNECT_TARGET_ORIGINS } from './connect-origins.ts';
import { changeOrganization, getOrganization } from './org-admin.ts';
import type { Organization } from './organization.ts';
import { organizationChangeErrors, type OrganizationChange } from './orgs.ts';

const OrganizationBody = Type.Object({
  id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
  settings: Type.Object({
    code_ttl_seconds: Type.Integer(),
    access_token_ttl_seconds: Type.Integer(),
    refresh_token_ttl_seconds: Type.Integer(),
    id_token_ttl_seconds: Type.Integer(),
    sso_session_ttl_seconds: Type.Integer(),
    consent_required_by_default: Type.Boolean(),
    custom_scopes: Type.Record(Type.String(), Type.Object({ description: Type.String(), attributes: Type.Array(Type.String()) })),
    logo_url: Type.Union([Type.String(), Type.Null()]),
    primary_color: Type.Union([Type.String(), Type.Null()]),
    accent_color: Type.Union([Type.String(), Type.Null()]),
    self_registration: Type.Union([Type.Literal('closed'), Type.Literal('open')]),
    connect_target_origins: Type.Array(Type.String()),
  }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

const OrganizationChangeBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    code_ttl_seconds: Type.Optional(Type.Integer()),
    access_token_ttl_seconds: Type.Optional(Type.Integer()),
    refresh_token_ttl_seconds: Type.Optional(Type.Integer()),
    id_token_ttl_seconds: Type.Optional(Type.Integer()),
    sso_session_ttl_seconds: Type.Optional(Type.Integer()),
    consent_required_by_default: Type.Optional(Type.Boolean()),
    logo_url: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 4096, description: 'An https URL on a host name; null shows the name instead.' })])),
    primary_color: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 100, description: '#rrggbb: buttons of the hosted pages.' })])),
    accent_color: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 100, description: '#rrggbb: links and focus rings, when readable on white.' })])),
    self_registration: Type.Optional(Type.Union([Type.Literal('closed'), Type.Literal('open')], { description: 'open: the sign-in page links to a sign-up page where anyone may create a constituent account.' })),
    connect_target_origins: Type.Optional(
      Type.Array(Type.String({ maxLength: 300 }), { maxItems: MAX_CONNECT_TARGET_ORIGINS, description: 'The origins a connector connect flow may end at (https://host[:port]; http only for loopback hosts); replaces the list.' }),
    ),
  },
  { additionalProperties: false },
);

/** A PATCH body (as its schema passed it) as the change the use case takes. */
function changeOf(body: Partial<Static<typeof OrganizationChangeBody>>): OrganizationChange {
  return {
    name: body.name,
    codeTtlSeconds: body.code_ttl_seconds,
    accessTokenTtlSeconds: body.access_token_ttl_seconds,
    refreshTokenTtlSeconds: body.refresh_token_ttl_seconds,
    idTokenTtlSeconds: body.id_token_ttl_seconds,
    ssoSessionTtlSeconds: body.sso_session_ttl_seconds,
    consentRequiredByDefault: body.consent_required_by_default,
    logoUrl: body.logo_url,
    primaryColor: body.primary_color,
    accentColor: body.accent_color,
    selfRegistration: body.self_registration,
    connectTargetOrigins: body.connect_target_origins,
  };
}

function toBody(org: Organization) {
  const s = org.settings;
  return {
    id: org.id,
    slug: org.slug,
    name: org.name,
    settings: {
      code_ttl_seconds: s.codeTtlSeconds,
      access_token_ttl_seconds: s.accessTokenTtlSeconds,
      refresh_token_ttl_seconds: s.refreshTokenTtlSeconds,
      id_token_ttl_seconds: s.idTokenTtlSeconds,
      sso_session_ttl_seconds: s.ssoSessionTtlSeconds,
      consent_required_by_default: s.consentRequiredByDefault,
      custom_scopes: s.customScopes,
      logo_url: s.logoUrl,
      primary_color: s.primaryColor,
      accent_color: s.accentColor,
      self_registration: s.selfRegistration,
      connect_target_origins: [...s.connectTargetOrigins],
    },
    created_at: new Date(org.createdAt).toISOString(),
    updated_at: new Date(org.updatedAt).toISOString(),
  };
}

export const ORG_ROUTES: readonly ApiRoute[] = [
  apiRoute({
    method: 'GET',
    url: '/org',
    permission: 'org:read',
    summary: 'The organization of the API key, with its settings',
    tag: 'organization',
    schema: { response: { 200: OrganizationBody } },
    async handler(call) {
      const org = getOrganization(operationOf(call));
      return { body: toBody(org), etag: etagOf(org.updatedAt) };
    },
  }),
  apiRoute({
    method: 'PATCH',
    url: '/org',
    permission: 'org:write',
    summary: 'Change the display name, settings and branding (send If-Match with the ETag read, to not overwrite a concurrent change)',
    tag: 'organization',
    schema: { body: OrganizationChangeBody, response: { 200: OrganizationBody } },
    checkBody: (fields) => organizationChangeErrors(changeOf(fields)),
    async handler(call) {
      const updated = await changeOrganization(operationOf(call), changeOf(call.body), { expectedVersion: versionFromIfMatch(call.ifMatch) });
      return { body: toBody(updated), etag: etagOf(updated.updatedAt) };
    },
  }),
];
