import type { Options } from '@fastify/ajv-compiler';

/**
 * Ajv options of every schema the app validates. Schemas refuse unknown fields instead of
 * silently dropping them (the management API says which field is wrong), and report every
 * error at once. Fastify's other defaults stay, among them type coercion, which suits the query
 * string and path parameters (strings on the wire); JSON bodies of the management API turn it off.
 */
export const AJV_CUSTOM_OPTIONS = Object.freeze({ removeAdditional: false, allErrors: true }) satisfies Options;
