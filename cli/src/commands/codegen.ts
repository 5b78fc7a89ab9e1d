import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { CommandSpec } from '../command.js';
import { ExitCode } from '../errors.js';
import { generateFlagsModule } from '../codegen/generate.js';
import type { FlagView } from '../types.js';

/** `switchyard codegen`: a typed registry of flag keys, so a typo in a key is a compile error. */
export const codegenCommand: CommandSpec = {
  name: 'codegen',
  summary: 'generate a typed TypeScript registry of flag keys and value types',
  synopsis: ['switchyard codegen [--out <file>] [--client-side] [--tag <tag>]...'],
  help: `Writes a TypeScript module describing the live flags: \`flags\` (key → type and variant keys),
the types FlagKey, BooleanFlagKey, FlagValues…, and typedServerFlags(client) / typedBrowserFlags(client),
which return the same SDK client with typed methods:

  import { typedServerFlags } from './flags.js';
  const flags = typedServerFlags(createClient({ url, sdkKey }));
  flags.enabled('new-chekout', ctx);   // error: not assignable to BooleanFlagKey

Options:
  --out <file>         write here (default: stdout)
  --client-side        only flags available to browser SDKs (clientSide)
  --tag <tag>          only flags with this tag (repeatable)

Example:
  switchyard codegen --out src/flags.ts`,
  options: { out: { type: 'string', short: 'o' }, 'client-side': { type: 'boolean' }, tag: { type: 'string', multiple: true } },
  positionals: { min: 0, max: 0 },
  async run(context) {
    const { args, out } = context;
    const client = context.api();
    const tags = args.strings('tag');
    const { flags } = await client.get<{ flags: FlagView[] }>('/api/v1/flags', tags.length === 0 ? undefined : { tag: tags });
    const chosen = args.flag('client-side') ? flags.filter((f) => f.clientSide) : flags;
    // No time stamp or URL in the output: the same flags give the same file, so CI can diff it.
    const code = generateFlagsModule(chosen);
    const target = args.string('out');
    if (target === undefined) {
      out.result({ out: null, flags: chosen.map((f) => f.key), code }, () => code);
      return ExitCode.ok;
    }
    const path = resolve(target);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, code);
    out.result({ out: path, flags: chosen.map((f) => f.key) }, () => `wrote ${chosen.length} flag${chosen.length === 1 ? '' : 's'} to ${target}`);
    return ExitCode.ok;
  },
};
