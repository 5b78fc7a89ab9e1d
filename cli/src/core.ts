/**
 * Loads @switchyard/core when a command first needs one of its schemas at run time. Types come from it
 * statically (they cost nothing); its values bring zod, which takes longer to load than the rest of
 * the CLI, so a `kill` during an incident or a `gate check` in every pipeline run does not pay for it.
 * @example const { FlagKindSchema } = await loadCore();
 */
export function loadCore(): Promise<typeof import('@switchyard/core')> {
  return import('@switchyard/core');
}
