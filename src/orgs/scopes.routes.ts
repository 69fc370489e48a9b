import { Type } from '@sinclair/typebox';
import { apiRoute, operationOf, type ApiRoute } from '../api/management-api.ts';
import { customScopeErrors, type NamedCustomScope } from './custom-scopes.ts';
import { defineCustomScope, listCustomScopes, removeCustomScope } from './scope-admin.ts';

const ScopeBody = Type.Object({ name: Type.String(), description: Type.String(), attributes: Type.Array(Type.String()) });
const ScopeParams = Type.Object({ name: Type.String({ maxLength: 200 }) });

function scopeBody(scope: NamedCustomScope) {
  return { name: scope.name, description: scope.description, attributes: [...scope.attributes] };
}

/** The org's custom scopes: the same use cases as `gatehouse scope set`. */
export const SCOPE_ROUTES: readonly ApiRoute[] = [
  apiRoute({
    method: 'GET',
    url: '/scopes',
    permission: 'org:read',
    summary: "The organization's custom scopes and the constituent attributes each releases at userinfo",
    tag: 'organization',
    schema: { response: { 200: Type.Object({ data: Type.Array(ScopeBody) }) } },
    async handler(call) {
      return { body: { data: listCustomScopes(operationOf(call)).map(scopeBody) } };
    },
  }),
  apiRoute({
    method: 'PUT',
    url: '/scopes/:name',
    permission: 'org:write',
    summary: 'Define or redefine a custom scope (the OpenID Connect scopes cannot be redefined)',
    tag: 'organization',
    schema: {
      params: ScopeParams,
      body: Type.Object(
        {
          description: Type.String({ maxLength: 1000, description: 'Shown on the consent page, in plain words (1 to 200 characters).' }),
          attributes: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100, description: 'Constituent attributes released as claims when the scope is granted.' })),
        },
        { additionalProperties: false },
      ),
      response: { 200: ScopeBody, 201: ScopeBody },
    },
    checkBody: (fields, _refused, params) => customScopeErrors(params.name, fields),
    async handler(call) {
      const { body, params } = call;
      const result = await defineCustomScope(operationOf(call), params.name, { description: body.description, attributes: body.attributes ?? [] });
      return { status: result.created ? 201 : 200, body: scopeBody(result.scope) };
    },
  }),
  apiRoute({
    method: 'DELETE',
    url: '/scopes/:name',
    permission: 'org:write',
    summary: 'Remove a custom scope: its attributes stop being released at once',
    tag: 'organization',
    schema: { params: ScopeParams, response: { 204: Type.Null() } },
    async handler(call) {
      await removeCustomScope(operationOf(call), call.params.name);
      return { status: 204 };
    },
  }),
];
