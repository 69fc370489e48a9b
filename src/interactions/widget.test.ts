import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { widgetScript, type WidgetScriptOptions } from './widget.ts';

const OPTIONS = {
  issuer: 'https://id.example.org/o/riverside',
  orgName: 'Riverside Food Bank',
  authorizationEndpoint: 'https://id.example.org/o/riverside/authorize',
};

/** Just enough of a DOM node for the widget: properties are recorded as set. */
interface FakeNode {
  readonly tagName: string;
  readonly children: FakeNode[];
  readonly attributes: Record<string, string>;
  readonly style: Record<string, string>;
  parentNode: FakeNode | null;
  readonly nextSibling: FakeNode | null;
  readonly firstChild: FakeNode | null;
  dataset?: Record<string, string>;
  href?: string;
  className?: string;
  textContent?: string;
  setAttribute(name: string, value: string): void;
  insertBefore(node: FakeNode, reference: FakeNode | null): FakeNode;
}

function element(tagName: string): FakeNode {
  const node: FakeNode = {
    tagName,
    children: [],
    attributes: {},
    style: {},
    parentNode: null,
    get nextSibling() {
      const siblings = node.parentNode?.children ?? [];
      return siblings[siblings.indexOf(node) + 1] ?? null;
    },
    get firstChild() {
      return node.children[0] ?? null;
    },
    setAttribute(name, value) {
      node.attributes[name] = value;
    },
    insertBefore(child, reference) {
      const index = reference ? node.children.indexOf(reference) : -1;
      if (reference && index === -1) throw new Error('reference is not a child');
      node.children.splice(index === -1 ? node.children.length : index, 0, child);
      child.parentNode = node;
      return child;
    },
  };
  return node;
}

interface Setup {
  readonly dataset?: Record<string, string>;
  /** Where the script tag sits. */
  readonly placement?: 'body' | 'head' | 'head-before-body';
}

function run(setup: Setup = {}, options: WidgetScriptOptions = OPTIONS) {
  const head = element('HEAD');
  const body = element('BODY');
  const before = element('P');
  const script = element('SCRIPT');
  const after = element('P');
  script.dataset = setup.dataset ?? {};
  const placement = setup.placement ?? 'body';
  const listeners = new Map<string, () => void>();
  const errors: string[] = [];
  const document = {
    head,
    body: placement === 'head-before-body' ? null : body,
    currentScript: script,
    createElement: (tagName: string) => element(tagName.toUpperCase()),
    addEventListener: (type: string, listener: () => void) => listeners.set(type, listener),
  };
  if (placement === 'body') {
    for (const node of [before, script, after]) body.insertBefore(node, null);
  } else {
    head.insertBefore(script, null);
    body.insertBefore(before, null);
  }
  const context = { document, URL, URLSearchParams, console: { error: (message: string) => errors.push(message) } };
  runInNewContext(widgetScript(options), context);
  /** Lets the fake parser reach the end of the document. */
  const domContentLoaded = () => {
    document.body = body;
    listeners.get('DOMContentLoaded')?.();
  };
  return { head, body, script, before, after, errors, domContentLoaded, context };
}

const valid = { clientId: 'cli_volunteer', redirectUri: 'https://portal.example.org/callback' };

describe('widgetScript', () => {
  it('inserts a sign-in link to the authorization endpoint right after the script tag', () => {
    const { body, script, before, after, errors } = run({
      dataset: { ...valid, state: 'xyz&a=b', scope: ' openid   profile email ' },
    });
    expect(errors).toEqual([]);
    expect(body.children).toHaveLength(4);
    expect(body.children[0]).toBe(before);
    expect(body.children[1]).toBe(script);
    expect(body.children[3]).toBe(after);
    const link = body.children[2];
    expect(link?.tagName).toBe('A');
    expect(link?.className).toBe('gatehouse-signin');
    expect(link?.textContent).toBe('Sign in with Riverside Food Bank');
    expect(link?.style.minHeight).toBe('44px');

    const url = new URL(link?.href ?? '');
    expect(url.origin + url.pathname).toBe(OPTIONS.authorizationEndpoint);
    expect([...url.searchParams]).toEqual([
      ['response_type', 'code'],
      ['client_id', 'cli_volunteer'],
      ['redirect_uri', 'https://portal.example.org/callback'],
      ['scope', 'openid profile email'],
      ['state', 'xyz&a=b'],
    ]);
  });

  // Issue 9 item 20: the button was always the default blue, whatever the org's colour.
  it.each([
    [undefined, '#1d4ed8', '#ffffff'],
    [null, '#1d4ed8', '#ffffff'],
    ['#0A7A3B', '#0a7a3b', '#ffffff'],
    ['#ffd700', '#ffd700', '#111827'],
    // Neither white (4.00:1) nor near-black (4.44:1) reads on pure red: black does.
    ['#ff0000', '#ff0000', '#000000'],
  ])('fills the button with the org primary colour %s, its text readable on it', (primaryColor, background, color) => {
    const { body } = run({ dataset: valid }, { ...OPTIONS, primaryColor });
    expect(body.children[2]?.style.background).toBe(background);
    expect(body.children[2]?.style.color).toBe(color);
  });

  it('keeps the default colour for anything but #rrggbb, and never writes it into the script', () => {
    for (const primaryColor of ["red'; alert(1); '", 'red;background:url(//evil.example/x)', '#abc', 'rgb(0,0,0)']) {
      const source = widgetScript({ ...OPTIONS, primaryColor });
      expect(source).not.toContain(primaryColor);
      const { body } = run({ dataset: valid }, { ...OPTIONS, primaryColor });
      expect(body.children[2]?.style.background).toBe('#1d4ed8');
    }
  });

  it('asks for openid by default, sends no state unless given, and uses data-label', () => {
    const { body } = run({ dataset: { ...valid, label: 'Member sign-in' } });
    const link = body.children[2];
    expect(link?.textContent).toBe('Member sign-in');
    const url = new URL(link?.href ?? '');
    expect([...url.searchParams.keys()]).toEqual(['response_type', 'client_id', 'redirect_uri', 'scope']);
    expect(url.searchParams.get('scope')).toBe('openid');
  });

  it.each([
    [{ redirectUri: valid.redirectUri }, 'the data-client-id attribute is missing.'],
    [{ clientId: '  ', redirectUri: valid.redirectUri }, 'the data-client-id attribute is missing.'],
    [{ clientId: valid.clientId }, 'the data-redirect-uri attribute is missing.'],
    [{ clientId: valid.clientId, redirectUri: '/callback' }, 'data-redirect-uri must be an absolute http:// or https:// URL.'],
    [{ clientId: valid.clientId, redirectUri: 'javascript:alert(1)' }, 'data-redirect-uri must be an absolute http:// or https:// URL.'],
    [{}, 'the data-client-id attribute is missing. the data-redirect-uri attribute is missing.'],
  ])('shows a visible error for dataset %o', (dataset, problem) => {
    const { body, script, errors } = run({ dataset });
    expect(body.children).toHaveLength(4);
    expect(body.children[1]).toBe(script);
    const alert = body.children[2];
    expect(alert?.tagName).toBe('P');
    expect(alert?.className).toBe('gatehouse-signin-error');
    expect(alert?.attributes.role).toBe('alert');
    expect(alert?.textContent).toBe(`Sign in with Riverside Food Bank is not set up correctly: ${problem}`);
    expect(errors).toEqual([`Gatehouse sign-in (${OPTIONS.issuer}): ${problem}`]);
    expect(body.children.some((node) => node.tagName === 'A')).toBe(false);
  });

  it('shows a visible error at the top of the body when placed in the head', () => {
    const { head, body, before, errors } = run({ dataset: valid, placement: 'head' });
    expect(head.children.map((node) => node.tagName)).toEqual(['SCRIPT']);
    expect(body.children[1]).toBe(before);
    expect(body.children[0]?.className).toBe('gatehouse-signin-error');
    expect(body.children[0]?.attributes.role).toBe('alert');
    expect(body.children[0]?.textContent).toContain('the widget script tag is in the page head');
    expect(errors).toHaveLength(1);
  });

  it('waits for the body when placed in the head before the body is parsed', () => {
    const { head, body, errors, domContentLoaded } = run({ dataset: valid, placement: 'head-before-body' });
    expect(errors).toHaveLength(1);
    expect(body.children.map((node) => node.tagName)).toEqual(['P']);
    domContentLoaded();
    expect(body.children.map((node) => node.className ?? node.tagName)).toEqual(['gatehouse-signin-error', 'P']);
    expect(head.children).toHaveLength(1);
  });

  it('logs when there is no current script (module or injected script)', () => {
    const errors: string[] = [];
    runInNewContext(widgetScript(OPTIONS), {
      document: { currentScript: null },
      URL,
      URLSearchParams,
      console: { error: (message: string) => errors.push(message) },
    });
    expect(errors).toHaveLength(1);
  });

  it('sets data values as text, never as markup', () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const { body } = run({ dataset: { ...valid, label: hostile } });
    expect(body.children[2]?.textContent).toBe(hostile);
    expect(widgetScript(OPTIONS)).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('declares no globals', () => {
    const { context } = run({ dataset: valid });
    expect(Object.keys(context).sort()).toEqual(['URL', 'URLSearchParams', 'console', 'document']);
  });

  it('embeds hostile organization data safely', () => {
    const orgName = '</script><script>alert(1)</script><!--\u2028"\'`${x}';
    const source = widgetScript({ ...OPTIONS, orgName, issuer: `${OPTIONS.issuer}</script>` });
    expect(source.toLowerCase()).not.toContain('</script');
    expect(source).not.toContain('<!--');
    expect(source).not.toContain('\u2028');
    const { body } = run({ dataset: valid }, { ...OPTIONS, orgName });
    expect(body.children[2]?.textContent).toBe(`Sign in with ${orgName}`);
  });
});
