import { InvalidTemplateValueError, MissingTemplateValueError, UnsafeEndpointError } from './catalogue-errors.ts';
import type { ConfigFormat, ConnectionConfig, Provider } from './provider.ts';

// `{placeholder}` URL templates: checked once at start (checkTemplate: every name declared, each
// where its format may go), rendered per connection (renderUrlTemplate). Each value is judged by
// the format of the slot it fills, so no value can move the URL to another host or path: that is
// what keeps a customer's config from pointing the hub's client secret somewhere else. Whether
// the host resolves to a public address is the outbound module's check, made at call time.

const PLACEHOLDER = /\{([^{}]*)\}/g;
const PLACEHOLDER_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** The names a template's placeholders use, in order. */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1]!);
}

/**
 * Whether a template is well formed for the placeholders it names, `formatOf` telling the format
 * of a declared name (undefined for an unknown one). Returns the problem, or null.
 */
export function checkTemplate(template: string, formatOf: (name: string) => ConfigFormat | undefined): string | null {
  if (/[{}]/.test(template.replace(PLACEHOLDER, ''))) return 'unbalanced { or }';
  const matches = [...template.matchAll(PLACEHOLDER)];
  for (const match of matches) {
    if (!PLACEHOLDER_NAME.test(match[1]!)) return `malformed placeholder {${match[1]}}`;
    if (formatOf(match[1]!) === undefined) return `unknown placeholder {${match[1]}}`;
  }
  const opensWithUrl = matches[0]?.index === 0 && formatOf(matches[0][1]!) === 'url';
  if (!opensWithUrl && !template.startsWith('https://')) return 'must start with https:// or a URL placeholder';
  // Where the host ends: after the scheme for a literal URL, at once after a URL placeholder.
  const afterScheme = opensWithUrl ? matches[0]![0].length : 'https://'.length;
  const hostEnd = opensWithUrl ? afterScheme : indexOfAny(template, ['/', '?', '#'], afterScheme);
  if (opensWithUrl && !/^(?:\/|$)/.test(template.slice(afterScheme))) return `a URL placeholder must be followed by / or nothing`;
  if (template.includes('#')) return 'must not have a fragment';
  const queryStart = indexOfAny(template, ['?'], hostEnd);
  for (const match of matches.slice(opensWithUrl ? 1 : 0)) {
    const name = match[1]!;
    const at = match.index;
    const format = formatOf(name)!;
    if (format === 'url') return `placeholder {${name}} is a URL and may only open the template`;
    const inHost = at >= afterScheme && at < hostEnd;
    if ((format === 'subdomain' || format === 'hostname') && !inHost) return `placeholder {${name}} is a ${format} and must be in the host`;
    if (format === 'path_segment' && (at < hostEnd || at >= queryStart)) return `placeholder {${name}} is a path segment and must be in the path`;
  }
  return null;
}

function indexOfAny(text: string, needles: readonly string[], from: number): number {
  const found = needles.map((needle) => text.indexOf(needle, from)).filter((index) => index >= 0);
  return found.length === 0 ? text.length : Math.min(...found);
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const PATH_SEGMENT = /^[A-Za-z0-9._~-]{1,200}$/;

export interface ValueCheckOptions {
  /** http as well as https for URL values: only with OUTBOUND_ALLOW_PRIVATE_NETWORK (development, tests). */
  readonly allowHttp?: boolean;
}

/**
 * The value as it goes into a template, or the rule it breaks. A URL value is normalised to
 * `scheme://host[:port]/path` without a trailing slash, so `{issuer}/x` never doubles a slash.
 */
export function checkValue(format: ConfigFormat, value: string, options: ValueCheckOptions = {}): { readonly value: string } | { readonly rule: string } {
  switch (format) {
    case 'subdomain':
      return DNS_LABEL.test(value) ? { value } : { rule: 'must be one DNS label: letters, digits and inner hyphens, at most 63 characters' };
    case 'hostname':
      return value.length <= 253 && value.split('.').every((label) => DNS_LABEL.test(label))
        ? { value }
        : { rule: 'must be a host name: dot-separated labels of letters, digits and inner hyphens' };
    case 'path_segment':
      return PATH_SEGMENT.test(value) && !/^\.+$/.test(value) ? { value } : { rule: 'must be one path segment: letters, digits and - . _ ~ (not only dots)' };
    case 'url':
      return checkUrlValue(value, options);
  }
}

function checkUrlValue(value: string, options: ValueCheckOptions): { readonly value: string } | { readonly rule: string } {
  const schemes = options.allowHttp === true ? ['https:', 'http:'] : ['https:'];
  const rule = `must be an ${options.allowHttp === true ? 'http or https' : 'https'} URL without credentials, query or fragment`;
  if (!URL.canParse(value)) return { rule };
  const url = new URL(value);
  if (!schemes.includes(url.protocol) || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return { rule };
  if (value.includes('?') || value.includes('#')) return { rule };
  // What the parser changed (backslashes, dot segments, percent-decoding) means the text did not say what it looked like.
  const normalised = url.href.replace(/\/$/, '');
  if (normalised !== value.replace(/\/$/, '')) return { rule: `${rule}, written in its normal form` };
  return { value: normalised };
}

/** Judges a value against its field's format, pattern and list; returns the value to substitute. */
function acceptValue(provider: Provider, field: string, spec: { format: ConfigFormat; pattern?: RegExp | null; enum?: readonly string[] | null }, raw: string, options: ValueCheckOptions): string {
  const checked = checkValue(spec.format, raw, options);
  if ('rule' in checked) throw new InvalidTemplateValueError(provider.id, field, checked.rule);
  if (spec.enum != null && !spec.enum.includes(raw)) throw new InvalidTemplateValueError(provider.id, field, `must be one of: ${spec.enum.join(', ')}`);
  if (spec.pattern != null && !spec.pattern.test(raw)) throw new InvalidTemplateValueError(provider.id, field, `must match ${spec.pattern.source}`);
  return checked.value;
}

export interface TemplateValues {
  readonly config: ConnectionConfig;
  /** Values kept from the flow (`instance_url`), for `apiBaseUrl`. */
  readonly metadata?: Readonly<Record<string, string | undefined>>;
}

/**
 * Renders one of a provider's URL templates. A missing value is a MissingTemplateValueError and a
 * refused one an InvalidTemplateValueError, each naming the field (`config.subdomain`).
 */
export function renderUrlTemplate(provider: Provider, template: string, values: TemplateValues, options: ValueCheckOptions = {}): string {
  const rendered = template.replace(PLACEHOLDER, (_, name: string) => {
    const field = provider.configFields.find((candidate) => candidate.name === name);
    if (field !== undefined) {
      const raw = nonEmpty(values.config[name]) ?? field.default ?? undefined;
      if (raw === undefined) throw new MissingTemplateValueError(provider.id, `config.${name}`);
      return acceptValue(provider, `config.${name}`, field, raw, options);
    }
    const kept = provider.keptMetadata.find((candidate) => candidate.name === name);
    // loadCatalogue refused templates naming anything else; this guards a Provider built by hand.
    if (kept === undefined) throw new UnsafeEndpointError(provider.id, template, `names an unknown placeholder {${name}}`);
    const raw = nonEmpty(values.metadata?.[name]);
    if (raw === undefined) throw new MissingTemplateValueError(provider.id, `metadata.${name}`);
    return acceptValue(provider, `metadata.${name}`, kept, raw, options);
  });
  return checkRenderedUrl(provider.id, 'a rendered URL', rendered, options);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** A URL the hub will call or send a browser to: https (or http when allowed), no credentials, no fragment. */
export function checkRenderedUrl(provider: string, what: string, url: string, options: ValueCheckOptions = {}): string {
  if (!URL.canParse(url)) throw new UnsafeEndpointError(provider, what, 'is not a URL');
  const parsed = new URL(url);
  const schemes = options.allowHttp === true ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(parsed.protocol)) throw new UnsafeEndpointError(provider, what, 'is not https');
  if (parsed.username !== '' || parsed.password !== '' || parsed.hash !== '' || parsed.hostname === '') {
    throw new UnsafeEndpointError(provider, what, 'must have a host and no credentials or fragment');
  }
  return url;
}
