import type { JSX } from 'preact';
import type { EnvironmentSummary } from '../api.js';
import { percent } from '../format.js';
import { PowerIcon } from './icons.js';

/** on / off / killed / rollout % of one environment, in words and colour. */
export function StateBadge(props: { summary: EnvironmentSummary | undefined }): JSX.Element {
  const s = props.summary;
  if (s === undefined) return <span class="badge">—</span>;
  let text: string;
  if (s.state === 'killed') text = 'killed';
  else if (s.state === 'off') text = 'off';
  else if (s.state === 'rollout') text = s.rolloutPercentage === undefined ? 'split' : percent(s.rolloutPercentage);
  else text = s.fallthroughVariant === undefined || s.fallthroughVariant === 'true' ? 'on' : `on: ${s.fallthroughVariant}`;
  return (
    <span class={`badge state-${s.state}`} title={s.killed === null ? undefined : `Killed: ${s.killed.reason}`}>
      {s.state === 'killed' ? <PowerIcon /> : null}
      {s.state === 'rollout' ? <span class="sr-only">rollout </span> : null}
      {text}
    </span>
  );
}
