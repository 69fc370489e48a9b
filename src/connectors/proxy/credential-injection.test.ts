import { describe, expect, it } from 'vitest';
import type { Provider } from '../catalogue/provider.ts';
import { findProvider } from '../catalogue/catalogue.ts';
import { credentialInjection, withInjectedQuery } from './credential-injection.ts';

const provider = (id: string): Provider => findProvider(id)!;
const withApiKey = (apiKey: Provider['apiKey']): Provider => ({ ...provider('api-key'), apiKey });

describe('credentialInjection', () => {
  it('sends an access token as Bearer whatever the spelling of token_type, another type as given', () => {
    const oauth = provider('openid-connect');
    expect(credentialInjection(oauth, { authMode: 'oauth2', accessToken: 'tok', tokenType: 'bearer' }).headers).toEqual({ authorization: 'Bearer tok' });
    expect(credentialInjection(oauth, { authMode: 'oauth2_client_credentials', accessToken: 'tok', tokenType: 'Bearer' }).headers).toEqual({ authorization: 'Bearer tok' });
    expect(credentialInjection(oauth, { authMode: 'oauth2', accessToken: 'tok', tokenType: 'MAC' }).headers).toEqual({ authorization: 'MAC tok' });
  });

  it('puts an API key in the header the entry names, with its prefix, or in the query', () => {
    expect(credentialInjection(withApiKey({ in: 'header', name: 'X-Api-Key', prefix: '' }), { authMode: 'api_key', apiKey: 'k1' })).toEqual({ headers: { 'x-api-key': 'k1' }, query: undefined });
    expect(credentialInjection(provider('api-key'), { authMode: 'api_key', apiKey: 'k1' })).toEqual({ headers: { authorization: 'Bearer k1' }, query: undefined });
    expect(credentialInjection(withApiKey({ in: 'query', name: 'api_key', prefix: '' }), { authMode: 'api_key', apiKey: 'k 1&' })).toEqual({ headers: {}, query: { name: 'api_key', value: 'k 1&' } });
  });

  it('sends username and password as HTTP Basic in UTF-8 (RFC 7617)', () => {
    expect(credentialInjection(provider('basic'), { authMode: 'basic', username: 'ada', password: 'pässword:1' }).headers).toEqual({ authorization: `Basic ${Buffer.from('ada:pässword:1', 'utf8').toString('base64')}` });
  });
});

describe('withInjectedQuery', () => {
  it('appends the key, form-encoded, replacing any parameter of its name the caller sent', () => {
    expect(withInjectedQuery('', { name: 'api_key', value: 'k 1&' })).toBe('api_key=k+1%26');
    expect(withInjectedQuery('a=1&api_key=mine&b=2&api%5Fkey=also', { name: 'api_key', value: 'k' })).toBe('a=1&b=2&api_key=k');
    expect(withInjectedQuery('a=1', undefined)).toBe('a=1');
  });
});
