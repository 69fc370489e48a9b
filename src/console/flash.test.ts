import { describe, expect, it } from 'vitest';
import { flashKeyOf } from './flash.ts';

describe('flashKeyOf', () => {
  it('takes only the fixed keys: no text of the URL can become a message', () => {
    expect(flashKeyOf('client_updated')).toBe('client_updated');
    for (const raw of [undefined, '', '<script>x</script>', 'The client was saved.', 'toString', '__proto__', 'constructor']) expect(flashKeyOf(raw), String(raw)).toBeNull();
  });
});
