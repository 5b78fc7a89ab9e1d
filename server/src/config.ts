import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(4242),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  SWITCHYARD_DATA_DIR: z.string().min(1).default('./.switchyard'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .default('public'),
  // Connections per replica; max_connections must cover every replica's pool plus admin sessions.
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(1000).default(10),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  SWITCHYARD_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  // Readiness fails this long before the server stops accepting, so a load balancer that polls
  // readiness stops routing here first (Kubernetes: like a preStop sleep). Part of the grace period.
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(0),
  // Optional bearer token for GET /metrics; unset, /metrics is open (restrict it by network).
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // Per API key and replica; 0 turns the limit off.
  RATE_LIMIT_WRITES_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(600),
  // Per client address and replica.
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(30),
  // Behind a load balancer: whose X-Forwarded-For to believe, so the client address (auth-failure
  // limit, logs) is the client's and not the balancer's. `true`, a hop count, or addresses/CIDRs.
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2}|[0-9a-fA-F:.\/]+(\s*,\s*[0-9a-fA-F:.\/]+)*)$/, 'must be true, false, a hop count, or comma-separated addresses/CIDRs')
    .transform((v): boolean | number | string[] => (v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v.split(',').map((a) => a.trim())))
    .optional(),
}).refine((c) => c.SHUTDOWN_DELAY_MS === 0 || c.SHUTDOWN_DELAY_MS < c.SHUTDOWN_GRACE_MS, {
  path: ['SHUTDOWN_DELAY_MS'],
  message: 'must be shorter than SHUTDOWN_GRACE_MS (the delay is part of the grace period)',
});

/** The server's configuration, parsed once from the environment and frozen. */
export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** A configuration problem that stops start-up; the message names the variable. */
export class ConfigError extends Error {}

/** Parses configuration from environment variables; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const blanksRemoved = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(blanksRemoved);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze(parsed.data);
}
