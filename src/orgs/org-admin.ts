import { inTransaction } from '../db/transaction.ts';
import { ForbiddenError } from '../lib/errors.ts';
import { recordOperation, requirePermission, type OperationContext } from '../staff/actor.ts';
import type { Organization } from './organization.ts';
import { createOrganization, fieldsOfOrganizationChange, getOrganizationById, updateOrganization, type NewOrganization, type OrganizationChange } from './orgs.ts';

/**
 * The context of an operation on the installation rather than in one organization: creating an
 * organization, which has none yet. Its audit event goes to the organization it creates.
 */
export type InstallationContext = Omit<OperationContext, 'org'>;

/**
 * Creates an organization, audited as `org.created` in it. No role of an organization grants
 * making another, so only the operator at the server (the CLI) may.
 */
export async function addOrganization(ctx: InstallationContext, input: NewOrganization): Promise<Organization> {
  if (ctx.actor.type !== 'cli') throw new ForbiddenError('installation operator');
  return inTransaction(ctx.db, async (trx) => {
    const org = await createOrganization(trx, ctx.clock, input);
    await recordOperation(trx, { ...ctx, org }, { action: 'org.created', target: { type: 'organization', id: org.id }, details: { slug: org.slug } });
    return org;
  });
}

/** The organization the operation acts in, with its settings (as read for this operation). */
export function getOrganization(ctx: OperationContext): Organization {
  requirePermission(ctx.actor, 'org:read');
  return ctx.org;
}

/**
 * The organization as stored now, with its settings: unlike getOrganization's copy (read when the
 * request began), it shows a colleague's change made meanwhile (the console's stale form).
 */
export async function readOrganization(ctx: OperationContext): Promise<Organization> {
  requirePermission(ctx.actor, 'org:read');
  return getOrganizationById(ctx.db, ctx.org.id);
}

/**
 * Changes the organization's name, settings and branding, audited as `org.updated` naming the
 * fields set; a change that sets nothing records nothing. With `expectedVersion` (If-Match), a
 * concurrent change makes it fail with StaleVersionError instead of being overwritten.
 */
export async function changeOrganization(ctx: OperationContext, change: OrganizationChange, options: { readonly expectedVersion?: number } = {}): Promise<Organization> {
  requirePermission(ctx.actor, 'org:write');
  return inTransaction(ctx.db, async (trx) => {
    const org = await updateOrganization(trx, ctx.clock, ctx.org.id, change, options);
    const fields = fieldsOfOrganizationChange(change);
    if (fields.length > 0) await recordOperation(trx, ctx, { action: 'org.updated', target: { type: 'organization', id: ctx.org.id }, details: { fields: fields.join(',') } });
    return org;
  });
}
