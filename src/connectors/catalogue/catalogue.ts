import { type Catalogue, loadCatalogue } from './load-catalogue.ts';
import type { Provider } from './provider.ts';
import { type ProviderView, providerView, providerViews } from './public-view.ts';
import { CRM_AND_SUPPORT_PROVIDERS } from './providers/crm-and-support.ts';
import { FINANCE_AND_COMMERCE_PROVIDERS } from './providers/finance-and-commerce.ts';
import { GENERIC_PROVIDERS } from './providers/generic.ts';
import { IDENTITY_AND_PUBLIC_SECTOR_PROVIDERS } from './providers/identity-and-public-sector.ts';
import { PRODUCTIVITY_PROVIDERS } from './providers/productivity.ts';

// The catalogue as data in TypeScript files rather than JSON read at start: the compiler checks
// each entry's shape as it is written, and an entry can carry comments (why a quirk is set, what
// could not be confirmed), which JSON cannot. loadCatalogue still checks everything at start,
// for what types cannot say (placeholders, patterns, examples).

export const PROVIDER_DEFINITIONS = [
  ...GENERIC_PROVIDERS,
  ...CRM_AND_SUPPORT_PROVIDERS,
  ...PRODUCTIVITY_PROVIDERS,
  ...FINANCE_AND_COMMERCE_PROVIDERS,
  ...IDENTITY_AND_PUBLIC_SECTOR_PROVIDERS,
];

/** Checked when this module loads: a wrong entry stops the server at start, naming the entry and field. */
export const CATALOGUE: Catalogue = loadCatalogue(PROVIDER_DEFINITIONS);

export function findProvider(id: string): Provider | undefined {
  return CATALOGUE.get(id);
}

/** GET /api/v2/connector-providers: every entry's public view, by id. */
export function listProviderViews(): ProviderView[] {
  return providerViews(CATALOGUE.values());
}

/** GET /api/v2/connector-providers/{provider}: undefined for an unknown id (a 404). */
export function findProviderView(id: string): ProviderView | undefined {
  const provider = CATALOGUE.get(id);
  return provider === undefined ? undefined : providerView(provider);
}
