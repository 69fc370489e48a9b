/**
 * A request the HTTP edge refused before any capability read it (a body it cannot parse, one
 * over its limit). Transport-neutral: each transport renders it once, in its own shape (the
 * OAuth endpoints as `invalid_request`, the hosted pages as an error page, the management API as
 * its error object). `statusCode` is the status, as on Fastify's own client errors, so a
 * renderer that knows only those answers it with the right status too.
 */
export abstract class HttpClientError extends Error {
  abstract readonly statusCode: number;
  /** Safe to show: a fixed text that never quotes the request. */
  readonly description: string;
  /** Logged only. */
  readonly detail: string | undefined;

  constructor(description: string, detail?: string) {
    super(description);
    this.name = new.target.name;
    this.description = description;
    this.detail = detail;
  }
}

/** RFC 9110 §15.5.1: the request cannot be read as this endpoint takes it. */
export class BadRequest extends HttpClientError {
  readonly statusCode: number = 400;
}

/**
 * RFC 9110 §15.5.14 (413 Content Too Large): the body is well-formed, just beyond our limits
 * (its size, a field's size, the number of parts).
 */
export class ContentTooLarge extends HttpClientError {
  readonly statusCode: number = 413;
}
