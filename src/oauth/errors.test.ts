import { describe, expect, it } from 'vitest';
import { errorBody, InsufficientScope, InvalidRequest, protocolText, UnsupportedGrantType } from './errors.ts';

const PROTOCOL_TEXT = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;

// Regression (issue 9 item 9): a description built from request text carried CR/LF, quotes and
// angle brackets into error_description. Whatever a call site passes, what is sent stays in the
// charset of RFC 6749 §5.2 and RFC 6750 §3.
describe('protocol error descriptions', () => {
  it('keep every character RFC 6749 §5.2 allows, and replace the others', () => {
    const allowed = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).filter((c) => c !== '"' && c !== '\\').join('');
    expect(protocolText(allowed)).toBe(allowed);
    expect(protocolText('a"b\\c\r\nd\te\u0000f\u00a7g\u2028h\u{1f600}')).toBe('a?b?c??d?e?f?g?h??');
  });

  it('cannot carry request text out of an error, whatever the call site passes', () => {
    const hostile = 'x"<script>\r\nSet-Cookie: a=b\\';
    for (const error of [new InvalidRequest(hostile), new UnsupportedGrantType(hostile), new InsufficientScope('openid', hostile)]) {
      expect(error.description).toMatch(PROTOCOL_TEXT);
      expect(errorBody(error).error_description).toMatch(PROTOCOL_TEXT);
      expect(error.message).toBe(error.description);
    }
  });
});
