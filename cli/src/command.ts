import { createApi, DEFAULT_URL, type Api } from './api.js';
import { usageError } from './errors.js';
import type { Output } from './output.js';

/** One option as `node:util` `parseArgs` takes it. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
}

/** Time, injectable so waiting can be tested without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Parsed option values with typed accessors. */
export class Args {
  constructor(private readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>) {}

  /** A string option's value (the last one when repeated). */
  string(name: string): string | undefined {
    const value = this.values[name];
    if (Array.isArray(value)) {
      const last = value[value.length - 1];
      return typeof last === 'string' ? last : undefined;
    }
    return typeof value === 'string' ? value : undefined;
  }

  /** Every value of a repeatable string option (comma-separated values are split too). */
  strings(name: string): string[] {
    const value = this.values[name];
    const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
    return list.filter((v): v is string => typeof v === 'string').flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  }

  /** A boolean option. */
  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** A string option that must be given (a usage error otherwise). */
  required(name: string, hint = ''): string {
    const value = this.string(name);
    if (value === undefined || value.trim() === '') throw usageError(`--${name} is required${hint === '' ? '' : ` ${hint}`}`);
    return value;
  }
}

/** What a command gets to run with. */
export interface CommandContext {
  readonly args: Args;
  readonly positionals: readonly string[];
  readonly out: Output;
  readonly clock: Clock;
  /** The process environment (SWITCHYARD_URL, SWITCHYARD_TOKEN, SWITCHYARD_ENV). */
  readonly environ: Readonly<Record<string, string | undefined>>;
  /** The API client; a usage error when no token is configured. */
  api(): Api;
  /** The environment to act on: `--env`, else `SWITCHYARD_ENV`; a usage error when neither is set. */
  environment(): string;
  /** The environment to filter by: `--env` only (a filter is never implied by the shell's environment). */
  optionalEnvironment(): string | undefined;
}

/** A command (or a subcommand such as `gate check`). */
export interface CommandSpec {
  /** As typed: `kill`, `gate check`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The synopsis lines, e.g. `switchyard kill <flag>... --env <env> --reason <text>`. */
  readonly synopsis: readonly string[];
  /** The help text after the synopsis: description, options, examples. */
  readonly help: string;
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** How many positionals it takes. */
  readonly positionals?: { readonly min: number; readonly max: number };
  run(context: CommandContext): Promise<number>;
}

/** A command with subcommands (`gate`, `rollout`, `flags`). */
export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly subcommands: readonly CommandSpec[];
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  url: { type: 'string' },
  token: { type: 'string' },
  env: { type: 'string', short: 'e' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  incident: { type: 'string' },
  deploy: { type: 'string' },
};

/** The help block for {@link GLOBAL_OPTIONS}. */
export const GLOBAL_HELP = `Global options:
  --url <url>          server URL (default: $SWITCHYARD_URL, else ${DEFAULT_URL})
  --token <key>        API key (default: $SWITCHYARD_TOKEN)
  -e, --env <env>      environment (default for commands that need one: $SWITCHYARD_ENV)
  --json               print exactly one JSON document on stdout (messages stay on stderr)
  --incident <id>      record an incident id on writes (X-Switchyard-Incident)
  --deploy <id>        record a deploy id on writes (X-Switchyard-Deploy)
  -h, --help           this help`;

/** Builds a command's context from parsed options and the process environment. */
export function createContext(init: {
  values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  positionals: readonly string[];
  out: Output;
  environ: Readonly<Record<string, string | undefined>>;
  clock: Clock;
}): CommandContext {
  const args = new Args(init.values);
  const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());
  let api: Api | undefined;
  return {
    args,
    positionals: init.positionals,
    out: init.out,
    clock: init.clock,
    environ: init.environ,
    api() {
      if (api !== undefined) return api;
      const url = nonEmpty(args.string('url')) ?? nonEmpty(init.environ.SWITCHYARD_URL) ?? DEFAULT_URL;
      const token = nonEmpty(args.string('token')) ?? nonEmpty(init.environ.SWITCHYARD_TOKEN);
      if (token === undefined) throw usageError('no API key: set SWITCHYARD_TOKEN or pass --token');
      const headers: Record<string, string> = { 'user-agent': 'switchyard-cli' };
      const incident = nonEmpty(args.string('incident'));
      const deploy = nonEmpty(args.string('deploy'));
      if (incident !== undefined) headers['x-switchyard-incident'] = incident;
      if (deploy !== undefined) headers['x-switchyard-deploy'] = deploy;
      api = createApi({ url, token, headers });
      return api;
    },
    environment() {
      const env = nonEmpty(args.string('env')) ?? nonEmpty(init.environ.SWITCHYARD_ENV);
      if (env === undefined) throw usageError('--env is required (or set SWITCHYARD_ENV)');
      return env;
    },
    optionalEnvironment() {
      return nonEmpty(args.string('env'));
    },
  };
}
