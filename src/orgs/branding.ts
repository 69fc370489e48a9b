import { isHexColor, MAX_LOGO_URL_LENGTH, normalizeLogoUrl } from '../lib/branding-values.ts';
import { InvalidInputError } from '../lib/errors.ts';

/** How an organization's hosted pages look. Every field is optional: null keeps the default look. */
export interface Branding {
  /** An absolute `https:` URL of the logo, shown above every hosted page with the org name as alt text. */
  readonly logoUrl: string | null;
  /** `#rrggbb`: fills buttons, the login widget's too (their text is white, near-black or black, whichever reads at 4.5:1). */
  readonly primaryColor: string | null;
  /** `#rrggbb`: links and focus rings, used only when it reads on white (WCAG 1.4.3, 4.5:1). */
  readonly accentColor: string | null;
}

/** Checks a branding change field by field; `null` clears a field. Every bad field is named. */
export function checkBranding(change: { readonly logoUrl?: string | null; readonly primaryColor?: string | null; readonly accentColor?: string | null }): {
  readonly values: Partial<Branding>;
  readonly errors: readonly InvalidInputError[];
} {
  const values: { logoUrl?: string | null; primaryColor?: string | null; accentColor?: string | null } = {};
  const errors: InvalidInputError[] = [];
  if (change.logoUrl !== undefined) {
    const logoUrl = change.logoUrl === null ? null : normalizeLogoUrl(change.logoUrl);
    if (logoUrl === undefined) errors.push(new InvalidInputError('logo_url', `must be an https URL on a host name (at most ${MAX_LOGO_URL_LENGTH} characters), or null`));
    else values.logoUrl = logoUrl;
  }
  for (const [key, field] of [['primaryColor', 'primary_color'], ['accentColor', 'accent_color']] as const) {
    const color = change[key];
    if (color === undefined) continue;
    if (color !== null && !isHexColor(color)) errors.push(new InvalidInputError(field, 'must be a colour written #rrggbb, or null'));
    else values[key] = color === null ? null : color.toLowerCase();
  }
  return { values, errors };
}
