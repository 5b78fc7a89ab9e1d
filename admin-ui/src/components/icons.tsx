import type { JSX } from 'preact';

/** The power symbol of kill switches, drawn (no font has to carry the glyph). */
export function PowerIcon(): JSX.Element {
  return (
    <svg class="icon-power" viewBox="0 0 24 24" width="1em" height="1em" aria-hidden="true" focusable="false">
      <path d="M12 3v9" stroke="currentColor" stroke-width="2.6" stroke-linecap="round" fill="none" />
      <path d="M6.6 6.8a7.6 7.6 0 1 0 10.8 0" stroke="currentColor" stroke-width="2.6" stroke-linecap="round" fill="none" />
    </svg>
  );
}
