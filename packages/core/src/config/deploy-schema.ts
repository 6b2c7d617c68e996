/** The `deploy` section: profile, instance identity, region. */
import { z } from 'zod';
import { defaultInstanceId, INSTANCE_ID_PATTERN } from './instance-id.js';
import { integerIn } from './schema-helpers.js';

/** Deployment profiles: `embedded` (one process, local stores) or `production`. */
export const DEPLOY_PROFILES = ['embedded', 'production'] as const;

/** The `deploy` section. */
export const deploySchema = z.strictObject({
  profile: z
    .enum(DEPLOY_PROFILES, { error: 'expected "embedded" or "production"' })
    .default('embedded'),
  /** Names this process in event sources and leases; defaults to `<hostname>-<pid>`. */
  instance_id: z
    .string({ error: 'expected an instance id of letters, digits, ".", "_" and "-" (at most 64)' })
    .regex(INSTANCE_ID_PATTERN, {
      error: 'expected an instance id of letters, digits, ".", "_" and "-" (at most 64)',
    })
    .default(defaultInstanceId),
  region: z
    .string({ error: 'expected a region name such as eu-west-1' })
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'expected a region name such as eu-west-1' })
    .optional(),
  /**
   * How long an instance's heartbeat lease lives (renewed every third of it): a
   * crashed instance's sessions are ended by the survivors (reason `instance_lost`)
   * once it has been missing this long again. 1000–300000, default 15000.
   */
  instance_ttl_ms: integerIn(1_000, 300_000).default(15_000),
  /** How often an instance looks for sessions of lost instances: 500–300000, default 5000. */
  recovery_interval_ms: integerIn(500, 300_000).default(5_000),
});

/** The validated `deploy` section. */
export type DeployConfig = z.output<typeof deploySchema>;
/** A deployment profile. */
export type DeployProfile = (typeof DEPLOY_PROFILES)[number];
