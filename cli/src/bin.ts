#!/usr/bin/env node
// The `switchyard` command. Everything is in run.ts; this only connects it to the process.
import { run } from './run.js';

process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
