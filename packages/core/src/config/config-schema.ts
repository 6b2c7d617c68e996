/** The whole configuration: every section, each defaulted, so `{}` is a valid config. */
import { z } from 'zod';
import { adaptersSchema } from './adapters-schema.js';
import { agentsSchema } from './agents-schema.js';
import { auditSchema } from './audit-schema.js';
import { authSchema } from './auth-schema.js';
import { billingSchema } from './billing-schema.js';
import { deploySchema } from './deploy-schema.js';
import { featuresSchema } from './features-schema.js';
import { limitsSchema } from './limits-schema.js';
import { loggingSchema } from './logging-schema.js';
import { observeSchema } from './observe-schema.js';
import { serverSchema } from './server-schema.js';
import { sessionSchema } from './session-schema.js';
import { storageSchema } from './storage-schema.js';
import { telephonySchema } from './telephony-schema.js';

/**
 * The structural schema of `config.yaml` (snake_case keys, unknown keys
 * rejected). Cross-section rules (the production profile) live in `parseConfig`.
 */
export const configSchema = z.strictObject({
  server: serverSchema.prefault({}),
  session: sessionSchema.prefault({}),
  adapters: adaptersSchema.prefault({}),
  storage: storageSchema.prefault({}),
  auth: authSchema.prefault({}),
  logging: loggingSchema.prefault({}),
  observe: observeSchema.prefault({}),
  billing: billingSchema.prefault({}),
  audit: auditSchema.prefault({}),
  agents: agentsSchema.prefault({}),
  limits: limitsSchema.prefault({}),
  features: featuresSchema,
  deploy: deploySchema.prefault({}),
  telephony: telephonySchema.prefault({}),
});

/** The validated configuration, defaults applied. */
export type Config = z.output<typeof configSchema>;
