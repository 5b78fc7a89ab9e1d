/**
 * Where the SDK reports what it does. Any object with these methods works (console, pino, winston).
 * @example createClient({ url, sdkKey, logger: console })
 */
export interface Logger {
  debug?(message: string, ...args: unknown[]): void;
  info?(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/** The default logger: warnings and errors to the console, prefixed. */
export const consoleLogger: Logger = {
  warn: (message, ...args) => console.warn(`[switchyard] ${message}`, ...args),
  error: (message, ...args) => console.error(`[switchyard] ${message}`, ...args),
};

/** A logger that says nothing. @example createClient({ ..., logger: silentLogger }) */
export const silentLogger: Logger = { warn: () => undefined, error: () => undefined };
