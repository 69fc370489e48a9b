import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { NotFoundError } from '../lib/errors.ts';
import type { OrgSettings } from '../orgs/settings.ts';
import type { ConstituentRecord } from './constituent.ts';
import { registerConstituent } from './constituents.ts';
import type { PreparedPassword } from './passwords.ts';

/** What a person types on the sign-up page. */
export interface SignUp {
  readonly username: string;
  /** Optional, as for any constituent; never verified by signing up. */
  readonly email?: string;
  /** Checked and hashed (argon2id) by preparePassword before the transaction. */
  readonly password: PreparedPassword;
}

/** Whether the org lets people create their own account. */
export function selfRegistrationIsOpen(settings: Pick<OrgSettings, 'selfRegistration'>): boolean {
  return settings.selfRegistration === 'open';
}

/**
 * Creates a constituent account on the person's own request, when the org's policy allows it:
 * the same rules as an account staff create (login name, email, password policy, argon2id),
 * through the same function. A closed org has no sign-up at all (not found).
 */
export async function signUpConstituent(db: Executor, clock: Clock, org: { readonly id: string; readonly slug: string; readonly settings: Pick<OrgSettings, 'selfRegistration'> }, input: SignUp): Promise<ConstituentRecord> {
  if (!selfRegistrationIsOpen(org.settings)) throw new NotFoundError('sign-up page of organization', org.slug);
  return registerConstituent(db, clock, org.id, { username: input.username, ...(input.email === undefined || input.email === '' ? {} : { email: input.email }) }, { password: input.password });
}
