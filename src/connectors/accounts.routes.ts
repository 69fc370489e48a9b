import { Type, type TSchema } from '@sinclair/typebox';
import { apiRoute, operationOf, PAGE_QUERY, pageLimit, type ApiRoute } from '../api/management-api.ts';
import { checkDisplayName } from '../lib/text-rules.ts';
import { collectInvalid, type InvalidInputError } from '../lib/errors.ts';
import { createAccount, deleteAccount, getAccount, listAccounts, listAccountUsers, renameAccount } from './account-admin.ts';
import type { ConnectorAccount, ConnectorAccountUser } from './connector.ts';
import { accountIdErrors } from './connector-rules.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

const AccountBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
const UserBody = Type.Object({ id: Type.String(), username: Type.String(), created_at: Type.String({ format: 'date-time' }) });
const AccountParams = Type.Object({ account_id: Type.String({ maxLength: 200 }) });
const Name = Type.String({ maxLength: 200 });
const PageQuery = Type.Object({ ...PAGE_QUERY }, { additionalProperties: false });
const pageOf = <T extends TSchema>(schema: T) => Type.Object({ data: Type.Array(schema), next_cursor: Type.Union([Type.String(), Type.Null()]) });

function accountBody(account: ConnectorAccount) {
  return { id: account.id, name: account.name, created_at: iso(account.createdAt), updated_at: iso(account.updatedAt) };
}

function userBody(user: ConnectorAccountUser) {
  return { id: user.id, username: user.username, created_at: iso(user.createdAt) };
}

function nameErrors(name: string | undefined): InvalidInputError[] {
  const errors: InvalidInputError[] = [];
  if (name !== undefined) collectInvalid(errors, () => checkDisplayName(name));
  return errors;
}

export const ACCOUNT_ROUTES: readonly ApiRoute[] = [
  apiRoute({
    method: 'POST',
    url: '/accounts',
    permission: 'connectors:write',
    summary: 'Create an account (one of the organization\'s customers) under the id given, such as the customer\'s id in your system, or a generated one',
    tag: 'connectors',
    schema: { body: Type.Object({ id: Type.Optional(Type.String({ maxLength: 100 })), name: Name }, { additionalProperties: false }), response: { 201: AccountBody } },
    checkBody: (fields) => [...(fields.id === undefined ? [] : accountIdErrors(fields.id)), ...nameErrors(fields.name)],
    async handler(call) {
      const account = await createAccount(operationOf(call), { id: call.body.id, name: call.body.name });
      return { status: 201, body: accountBody(account) };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/accounts',
    permission: 'connectors:read',
    summary: 'List the accounts, oldest first',
    tag: 'connectors',
    schema: { querystring: PageQuery, response: { 200: pageOf(AccountBody) } },
    async handler(call) {
      const page = await listAccounts(operationOf(call), { limit: pageLimit(call.query), cursor: call.query.cursor });
      return { body: { data: page.items.map(accountBody), next_cursor: page.nextCursor } };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/accounts/:account_id',
    permission: 'connectors:read',
    summary: 'An account',
    tag: 'connectors',
    schema: { params: AccountParams, response: { 200: AccountBody } },
    async handler(call) {
      return { body: accountBody(await getAccount(operationOf(call), call.params.account_id)) };
    },
  }),
  apiRoute({
    method: 'PATCH',
    url: '/accounts/:account_id',
    permission: 'connectors:write',
    summary: 'Rename an account (its id never changes)',
    tag: 'connectors',
    schema: { params: AccountParams, body: Type.Object({ name: Type.Optional(Name) }, { additionalProperties: false }), response: { 200: AccountBody } },
    checkBody: (fields) => nameErrors(fields.name),
    async handler(call) {
      return { body: accountBody(await renameAccount(operationOf(call), call.params.account_id, { name: call.body.name })) };
    },
  }),
  apiRoute({
    method: 'DELETE',
    url: '/accounts/:account_id',
    permission: 'connectors:write',
    summary: 'Delete an account with its users and account connectors (their credentials are gone at once)',
    tag: 'connectors',
    schema: { params: AccountParams, response: { 204: Type.Null() } },
    async handler(call) {
      await deleteAccount(operationOf(call), call.params.account_id);
      return { status: 204 };
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/accounts/:account_id/users',
    permission: 'connectors:read',
    summary: 'The users of an account (created on first use by the sign-in token call), oldest first',
    tag: 'connectors',
    schema: { params: AccountParams, querystring: PageQuery, response: { 200: pageOf(UserBody) } },
    async handler(call) {
      const page = await listAccountUsers(operationOf(call), call.params.account_id, { limit: pageLimit(call.query), cursor: call.query.cursor });
      return { body: { data: page.items.map(userBody), next_cursor: page.nextCursor } };
    },
  }),
];
