/**
 * `@prx-voice/core` — configuration (YAML + environment, validated with zod),
 * feature flags and the injectable `Clock`.
 *
 * @example
 * import { createFeatureFlags, loadConfig, systemClock } from '@prx-voice/core';
 * const config = loadConfig(); // config.yaml + PRX_VOICE_* overrides; throws CONFIG_INVALID
 * const flags = createFeatureFlags(config.features);
 */
export { createSystemClock, MAX_TIMER_DELAY_MS, normalizeDelay, systemClock } from './clock.js';
export type { Clock, SystemClockOptions, TimerHandle } from './clock.js';
export { createSharedTicks } from './shared-ticks.js';
export type { SharedTicks } from './shared-ticks.js';
export { silentLogger } from './logger.js';
export type { LogFn, Logger } from './logger.js';
export { AUTO_PROVIDER } from './config/adapters-schema.js';
export type { AdapterChainConfig, AdaptersConfig, VadConfig } from './config/adapters-schema.js';
export {
  MIN_BOOTSTRAP_KEY_LENGTH,
  PRODUCTION_MIN_BOOTSTRAP_KEY_LENGTH,
} from './config/auth-schema.js';
export type { AuthConfig, JwtConfig } from './config/auth-schema.js';
export type { Config } from './config/config-schema.js';
export type { ConfigIssue } from './config/config-issue.js';
export { DEPLOY_PROFILES } from './config/deploy-schema.js';
export type { DeployConfig, DeployProfile } from './config/deploy-schema.js';
export { CONFIG_PATH_VAR, ENV_PREFIX } from './config/env-overrides.js';
export type { Environment } from './config/env-overrides.js';
export type { FeatureFlagDefinition, FeaturesConfig } from './config/features-schema.js';
export { deriveInstanceId, INSTANCE_ID_PATTERN } from './config/instance-id.js';
export type { InstanceRuntime } from './config/instance-id.js';
export { JWT_ALGORITHMS } from './config/jwt-keys.js';
export type { JwtAlgorithm } from './config/jwt-keys.js';
export type { LimitsConfig, RateLimitConfig } from './config/limits-schema.js';
export { loadConfig } from './config/load-config.js';
export type { LoadConfigOptions } from './config/load-config.js';
export { LOG_LEVELS } from './config/logging-schema.js';
export type { LoggingConfig, LogLevel } from './config/logging-schema.js';
export { TRACE_EXPORTER_KINDS } from './config/observe-schema.js';
export type { ObserveConfig } from './config/observe-schema.js';
export type { BillingConfig } from './config/billing-schema.js';
export type { AuditConfig } from './config/audit-schema.js';
export { isEd25519PrivateKey } from './config/audit-schema.js';
export { defaultConfig, parseConfig } from './config/parse-config.js';
export { TELNYX_CONFIG_CODECS, isEd25519PublicKey } from './config/telephony-schema.js';
export type { TelephonyConfig, TelnyxConfig } from './config/telephony-schema.js';
export {
  PLIVO_CONFIG_CONTENT_TYPES,
  VONAGE_CONFIG_CONTENT_TYPES,
} from './config/telephony-schema.js';
export type { PlivoConfig, VonageConfig } from './config/telephony-schema.js';
export type { ExotelConfig, TwilioConfig } from './config/telephony-schema.js';
export type { ParseConfigOptions } from './config/parse-config.js';
export type { CorsConfig, ServerConfig, TlsConfig } from './config/server-schema.js';
export { DEFAULT_HANDOFF_FAILURE_MESSAGE } from './config/session-schema.js';
export type {
  DtmfConfig,
  EndpointingPolicy,
  HandoffConfig,
  InterruptionPolicy,
  SessionAudio,
  SessionConfig,
  SessionTimeouts,
} from './config/session-schema.js';
export type { ObjectStoreConfig, StorageConfig } from './config/storage-schema.js';
export { createFeatureFlags, rolloutBucket } from './feature-flags.js';
export type { FeatureFlags, FlagContext, FlagExplanation, FlagReason } from './feature-flags.js';
