import type { EnvironmentConfig, Variant } from '@switchyard/core';
import type { JSX } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import { api, type EnvironmentSummary, type Exposure } from '../api.js';
import { count, percent } from '../format.js';

const PRESETS = [0, 1, 5, 25, 50, 100];

/** Where the slider stands now, or null when the fallthrough is not a simple on/off split. */
export function sliderPosition(config: EnvironmentConfig, summary: EnvironmentSummary): number | null {
  if (summary.rolloutPercentage !== undefined) return summary.rolloutPercentage;
  const serve = config.fallthrough;
  if ('variant' in serve) return serve.variant === config.offVariant ? 0 : 100;
  return null;
}

/** The variant the slider rolls out (what the server's rollout route picks when none is named). */
export function sliderVariant(config: EnvironmentConfig, variants: readonly Variant[]): string | undefined {
  const serve = config.fallthrough;
  if ('rollout' in serve) {
    const others = serve.rollout.variants.filter((v) => v.variant !== config.offVariant);
    if (others.length === 1) return others[0]?.variant;
  } else if (serve.variant !== config.offVariant) return serve.variant;
  return variants.find((v) => v.key !== config.offVariant)?.key;
}

function clamp(n: number): number {
  return Math.min(100, Math.max(0, Math.round(n * 1000) / 1000));
}

export function RolloutSlider(props: {
  flagKey: string;
  env: string;
  envName: string;
  config: EnvironmentConfig;
  summary: EnvironmentSummary;
  variants: readonly Variant[];
  disabled: boolean;
  disabledReason?: string | undefined;
  onApply: (percentage: number) => Promise<void>;
}): JSX.Element {
  const id = useId();
  const current = sliderPosition(props.config, props.summary);
  const [value, setValue] = useState(current ?? 0);
  const [text, setText] = useState(String(current ?? 0));
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [exposure, setExposure] = useState<Exposure | null>(null);
  const variant = sliderVariant(props.config, props.variants);

  // Someone else moved it (or a save landed): follow, unless this user is mid-edit.
  useEffect(() => {
    if (!touched && current !== null) {
      setValue(current);
      setText(String(current));
    }
  }, [current, props.summary.version]);

  useEffect(() => {
    let cancelled = false;
    const timer = setTimeout(() => {
      api<Exposure>('GET', `/flags/${encodeURIComponent(props.flagKey)}/environments/${encodeURIComponent(props.env)}/exposure`, { query: { percentage: value } })
        .then((e) => !cancelled && setExposure(e))
        .catch(() => !cancelled && setExposure(null));
    }, 250);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [value, props.flagKey, props.env, props.summary.version]);

  if (current === null) {
    return (
      <section class="slider-card" aria-labelledby={`${id}-h`}>
        <h3 id={`${id}-h`}>Rollout</h3>
        <p>The default rule splits between several variants; set their weights under “Default rule” below.</p>
      </section>
    );
  }

  const set = (n: number): void => {
    const v = clamp(n);
    setTouched(true);
    setValue(v);
    setText(String(v));
  };

  const apply = async (): Promise<void> => {
    setBusy(true);
    try {
      await props.onApply(value);
      setTouched(false);
    } finally {
      setBusy(false);
    }
  };

  const changed = value !== current;
  return (
    <section class="slider-card" aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>
        Rollout in {props.envName}: <span class="now">{percent(current)}</span>
      </h3>
      <p class="hint">
        {variant === undefined ? 'This flag has no variant to roll out besides the off variant.' : <>Percentage of contexts (reaching the default rule) that get <code>{variant}</code>; the rest get <code>{props.config.offVariant}</code>. Raising it never moves anyone out.</>}
      </p>
      <div class="slider-row">
        <input
          type="range"
          id={`${id}-range`}
          min={0}
          max={100}
          step={0.1}
          value={value}
          disabled={props.disabled || busy}
          aria-label="Rollout percentage"
          aria-valuetext={percent(value)}
          onInput={(e) => set(Number((e.currentTarget as HTMLInputElement).value))}
        />
        <input
          type="number"
          class="pct"
          min={0}
          max={100}
          step={0.001}
          inputMode="decimal"
          value={text}
          disabled={props.disabled || busy}
          aria-label="Rollout percentage (exact)"
          onInput={(e) => {
            const t = (e.currentTarget as HTMLInputElement).value;
            setText(t);
            setTouched(true);
            const n = Number(t);
            if (t.trim() !== '' && Number.isFinite(n)) setValue(clamp(n));
          }}
        />
        <span aria-hidden="true">%</span>
      </div>
      <div class="presets" role="group" aria-label="Presets">
        {PRESETS.map((p) => (
          <button key={p} type="button" class={p === value ? 'chip active' : 'chip'} aria-pressed={p === value} disabled={props.disabled || busy} onClick={() => set(p)}>
            {p}%
          </button>
        ))}
      </div>
      <p class="exposure" aria-live="polite">
        {exposure === null
          ? ' '
          : exposure.evaluations === 0
            ? 'No evaluations reported in the last hour, so no estimate of how many this would include.'
            : `≈ ${count(exposure.estimate ?? 0)} of the last hour's ${count(exposure.evaluations)} evaluations in ${props.envName} would be included at ${percent(value)} (evaluations, not distinct users; at most, since targets and rules are checked first).`}
      </p>
      <div class="actions">
        <button type="button" class="primary" disabled={props.disabled || busy || !changed || variant === undefined} onClick={() => void apply()}>
          {busy ? 'Applying…' : `Set rollout to ${percent(value)}`}
        </button>
        {changed ? (
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              setTouched(false);
              setValue(current);
              setText(String(current));
            }}
          >
            Reset
          </button>
        ) : null}
      </div>
      {props.disabledReason === undefined ? null : <p class="hint">{props.disabledReason}</p>}
    </section>
  );
}
