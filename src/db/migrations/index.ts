import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.ts';
import * as m0002 from './0002_oauth.ts';
import * as m0003 from './0003_staff_sessions.ts';
import * as m0004 from './0004_management.ts';
import * as m0005 from './0005_client_lifecycle.ts';
import * as m0006 from './0006_credential_ids.ts';
import * as m0007 from './0007_admin_indexes.ts';
import * as m0008 from './0008_expiry_indexes.ts';
import * as m0009 from './0009_pending_sign_in_limits.ts';
import * as m0010 from './0010_client_auth_networks.ts';
import * as m0011 from './0011_vault_data_keys.ts';
import * as m0012 from './0012_connectors.ts';
import * as m0013 from './0013_connector_refresh_lease.ts';
import * as m0014 from './0014_connector_signin_tokens.ts';
import * as m0015 from './0015_connector_auth_attempts.ts';
import * as m0016 from './0016_webhooks.ts';
import * as m0017 from './0017_connector_refresh_schedule.ts';
import * as m0018 from './0018_token_issuance_days.ts';

/** Every migration, in order. Names sort in application order; never rename or edit a landed one. */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001_foundation': m0001,
  '0002_oauth': m0002,
  '0003_staff_sessions': m0003,
  '0004_management': m0004,
  '0005_client_lifecycle': m0005,
  '0006_credential_ids': m0006,
  '0007_admin_indexes': m0007,
  '0008_expiry_indexes': m0008,
  '0009_pending_sign_in_limits': m0009,
  '0010_client_auth_networks': m0010,
  '0011_vault_data_keys': m0011,
  '0012_connectors': m0012,
  '0013_connector_refresh_lease': m0013,
  '0014_connector_signin_tokens': m0014,
  '0015_connector_auth_attempts': m0015,
  '0016_webhooks': m0016,
  '0017_connector_refresh_schedule': m0017,
  '0018_token_issuance_days': m0018,
};
