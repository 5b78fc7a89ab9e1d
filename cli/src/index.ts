export { run, COMMANDS, type RunIo } from './run.js';
export { createApi, apiPath, normalizeUrl, DEFAULT_URL, type Api, type ApiOptions, type Query } from './api.js';
export { CliError, ExitCode, usageError, type ErrorDetail, type ExitCodeValue } from './errors.js';
export { scanTree, type KeyLocation, type ScanOptions, type ScanResult } from './scan/scan-tree.js';
export { findFlagKeys, aliases, FLAG_FUNCTIONS, type KeyUse } from './scan/find-keys.js';
export { parseGitignore, isIgnored, globToRegex, type IgnoreFile, type IgnoreRule } from './scan/gitignore.js';
export { findSourceFiles, SOURCE_EXTENSIONS, SKIPPED_DIRECTORIES, type WalkOptions } from './scan/walk.js';
export { generateFlagsModule, type CodegenFlag } from './codegen/generate.js';
export { parseDuration, parseRate, parsePercentage, parseSteps, formatDuration } from './units.js';
