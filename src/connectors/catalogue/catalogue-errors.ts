import { InvalidInputError } from '../../lib/errors.ts';

/**
 * A catalogue entry is wrong: thrown at start-up, naming the entry and the field, so that a bad
 * edit of the data stops the server before any connection relies on it.
 */
export class CatalogueEntryError extends Error {
  readonly entry: string;
  readonly field: string;
  constructor(entry: string, field: string, problem: string) {
    super(`catalogue entry '${entry}': ${field}: ${problem}`);
    this.name = 'CatalogueEntryError';
    this.entry = entry;
    this.field = field;
  }
}

/**
 * A template needs a value the connection does not have. `field` is `config.<name>` for a
 * connection's config, `metadata.<name>` for a value kept from the flow (`instance_url`).
 */
export class MissingTemplateValueError extends InvalidInputError {
  readonly provider: string;
  constructor(provider: string, field: string) {
    super(field, `is required by provider '${provider}'`);
    this.name = 'MissingTemplateValueError';
    this.provider = provider;
  }
}

/**
 * A value that may not go into the provider's URL: wrong shape for where it goes (a `/` or `@` in
 * a host name, `..` in a path), outside the entry's pattern or list, or a URL that is not https.
 * The message names the rule, never the value (config may be pasted from anywhere).
 */
export class InvalidTemplateValueError extends InvalidInputError {
  readonly provider: string;
  constructor(provider: string, field: string, rule: string) {
    super(field, rule);
    this.name = 'InvalidTemplateValueError';
    this.provider = provider;
  }
}

/** An endpoint the hub was handed (a discovered authorization_endpoint) is not a URL it may send a browser to. */
export class UnsafeEndpointError extends Error {
  readonly provider: string;
  constructor(provider: string, what: string, rule: string) {
    super(`provider '${provider}': ${what} ${rule}`);
    this.name = 'UnsafeEndpointError';
    this.provider = provider;
  }
}

/**
 * A call the hub's own code got wrong, not the customer's input: a missing PKCE challenge or
 * discovered endpoint, an entry without the endpoint asked for.
 */
export class AuthorizationRequestError extends Error {
  constructor(provider: string, problem: string) {
    super(`provider '${provider}': ${problem}`);
    this.name = 'AuthorizationRequestError';
  }
}
