import type { Clause, ClauseValue, EnvironmentConfig, Operator, Prerequisite, Rule, Serve, Target, Variant } from '@switchyard/core';
import { OPERATORS } from '@switchyard/core/evaluate';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { toPercentage, toWeight, WEIGHT_TOTAL, type FlagView, type SegmentView } from '../api.js';
import { lines, percent } from '../format.js';
import { Checkbox, SelectField, TextArea, TextField, type ErrorsFor } from './fields.js';

/** Every operator in words; a compile error here means core gained an operator the editor lacks. */
const OPERATOR_LABELS: Record<Operator, string> = {
  eq: 'equals',
  neq: 'does not equal',
  in: 'is one of',
  notIn: 'is not one of',
  contains: 'contains',
  startsWith: 'starts with',
  endsWith: 'ends with',
  matches: 'matches regex',
  lt: '< (number)',
  lte: '≤ (number)',
  gt: '> (number)',
  gte: '≥ (number)',
  before: 'is before (date)',
  after: 'is after (date)',
  semverEq: 'version =',
  semverLt: 'version <',
  semverGt: 'version >',
  inSegment: 'is in segment',
};
const OPERATOR_OPTIONS = (Object.keys(OPERATORS) as Operator[]).map((op) => ({ value: op, label: OPERATOR_LABELS[op] }));
const NUMERIC = new Set<Operator>(['lt', 'lte', 'gt', 'gte']);
const EQUALITY = new Set<Operator>(['eq', 'neq', 'in', 'notIn']);

type ValueType = 'text' | 'number' | 'boolean';

let nextKey = 1;

function typeOfValues(values: readonly ClauseValue[]): ValueType {
  const first = values[0];
  return typeof first === 'number' ? 'number' : typeof first === 'boolean' ? 'boolean' : 'text';
}

/** Text lines as clause values of the operator's type; what does not parse is sent as typed, for the server to name. */
function parseValues(text: string, op: Operator, type: ValueType): ClauseValue[] {
  const effective: ValueType = NUMERIC.has(op) ? 'number' : EQUALITY.has(op) ? type : 'text';
  return lines(text).map((line) => {
    if (effective === 'number') {
      const n = Number(line);
      return Number.isFinite(n) ? n : line;
    }
    if (effective === 'boolean') return line === 'true' ? true : line === 'false' ? false : line;
    return line;
  });
}

export interface EditorContext {
  readonly flag: FlagView;
  readonly segments: readonly SegmentView[];
  readonly flags: readonly FlagView[];
  readonly errors: ErrorsFor;
  readonly disabled: boolean;
}

function ClauseEditor(props: { clause: Clause; path: string; label: string; ctx: EditorContext; onChange: (clause: Clause) => void; onRemove: () => void }): JSX.Element {
  const { clause, path, ctx } = props;
  const [text, setText] = useState(() => clause.values.map(String).join('\n'));
  const [valueType, setValueType] = useState<ValueType>(() => typeOfValues(clause.values));
  const update = (patch: Partial<Clause>): void => props.onChange({ ...clause, ...patch });
  const setValues = (nextText: string, op = clause.op, type = valueType): void => {
    setText(nextText);
    update({ op, values: parseValues(nextText, op, type) });
  };
  const segmentValues = new Set(clause.values.map(String));
  return (
    <fieldset class="clause">
      <legend>{props.label}</legend>
      <div class="row">
        {clause.op === 'inSegment' ? null : (
          <TextField label="Attribute" value={clause.attribute} placeholder="e.g. country" disabled={ctx.disabled} onInput={(attribute) => update({ attribute })} error={ctx.errors(`${path}.attribute`)} />
        )}
        <SelectField
          label="Operator"
          value={clause.op}
          options={OPERATOR_OPTIONS}
          disabled={ctx.disabled}
          onChange={(op) => {
            const next = op as Operator;
            // inSegment ignores the attribute, but the schema still wants one.
            if (next === 'inSegment') props.onChange({ ...clause, op: next, attribute: clause.attribute === '' ? 'key' : clause.attribute, values: [] });
            else setValues(text, next);
          }}
          error={ctx.errors(`${path}.op`)}
        />
        <Checkbox label="Not (negate)" checked={clause.negate === true} disabled={ctx.disabled} onChange={(negate) => update(negate ? { negate: true } : { negate: undefined })} />
      </div>
      {clause.op === 'inSegment' ? (
        <fieldset class="segment-choice">
          <legend>Segments</legend>
          {ctx.segments.length === 0 ? <p class="hint">No segments yet; create one on the Segments page.</p> : null}
          {ctx.segments.map((s) => (
            <Checkbox
              key={s.key}
              label={`${s.name} (${s.key})`}
              checked={segmentValues.has(s.key)}
              disabled={ctx.disabled}
              onChange={(on) => update({ values: on ? [...clause.values, s.key] : clause.values.filter((v) => v !== s.key) })}
            />
          ))}
          {ctx.errors(`${path}.values`) === undefined ? null : <p class="field-error">{ctx.errors(`${path}.values`)}</p>}
        </fieldset>
      ) : (
        <div class="row">
          <TextArea
            label="Values (one per line)"
            value={text}
            rows={Math.min(6, Math.max(2, text.split('\n').length))}
            disabled={ctx.disabled}
            onInput={(t) => setValues(t)}
            hint={clause.op === 'before' || clause.op === 'after' ? 'ISO 8601 dates, e.g. 2026-12-01T00:00:00Z' : clause.op.startsWith('semver') ? 'Versions such as 1.4.0' : 'Matches when the attribute matches any line.'}
            error={ctx.errors(`${path}.values`)}
          />
          {EQUALITY.has(clause.op) ? (
            <SelectField
              label="Values are"
              value={valueType}
              options={[
                { value: 'text', label: 'text' },
                { value: 'number', label: 'numbers' },
                { value: 'boolean', label: 'true/false' },
              ]}
              disabled={ctx.disabled}
              onChange={(t) => {
                setValueType(t as ValueType);
                setValues(text, clause.op, t as ValueType);
              }}
            />
          ) : null}
        </div>
      )}
      <button type="button" class="link-button danger-text" disabled={ctx.disabled} onClick={props.onRemove}>
        Remove {props.label.toLowerCase()}
      </button>
    </fieldset>
  );
}

/** Clauses that must all match (rules of flags and of segments). */
export function ClausesEditor(props: { clauses: Clause[]; path: string; owner: string; ctx: EditorContext; onChange: (clauses: Clause[]) => void }): JSX.Element {
  const { clauses, ctx } = props;
  // Stable keys, so each clause keeps its own typed text when another one is removed.
  const [ids, setIds] = useState<number[]>(() => clauses.map(() => nextKey++));
  const keys = ids.length === clauses.length ? ids : clauses.map((_, i) => ids[i] ?? nextKey++);
  const change = (next: Clause[], nextIds: number[]): void => {
    setIds(nextIds);
    props.onChange(next);
  };
  return (
    <div class="clauses">
      {clauses.length === 0 ? <p class="hint">No conditions: matches every context.</p> : null}
      {clauses.map((clause, i) => (
        <ClauseEditor
          key={keys[i]}
          clause={clause}
          path={`${props.path}[${i}]`}
          label={`${props.owner} condition ${i + 1}`}
          ctx={ctx}
          onChange={(c) => props.onChange(clauses.map((x, j) => (j === i ? c : x)))}
          onRemove={() => change(clauses.filter((_, j) => j !== i), keys.filter((_, j) => j !== i))}
        />
      ))}
      <button type="button" disabled={ctx.disabled} onClick={() => change([...clauses, { attribute: '', op: 'eq', values: [] }], [...keys, nextKey++])}>
        Add condition to {props.owner.toLowerCase()}
      </button>
    </div>
  );
}

/** What a rule or the fallthrough serves: one variant, or a weighted rollout. */
export function ServeEditor(props: { serve: Serve; path: string; label: string; variants: readonly Variant[]; offVariant: string; ctx: EditorContext; onChange: (serve: Serve) => void }): JSX.Element {
  const { serve, variants, ctx, path } = props;
  const isRollout = 'rollout' in serve;
  const toRollout = (): void => {
    const current = 'variant' in serve ? serve.variant : (variants[0]?.key ?? 'true');
    props.onChange({ rollout: { variants: variants.map((v) => ({ variant: v.key, weight: v.key === current ? WEIGHT_TOTAL : 0 })) } });
  };
  const toVariant = (): void => {
    const heaviest = 'rollout' in serve ? [...serve.rollout.variants].sort((a, b) => b.weight - a.weight)[0]?.variant : undefined;
    props.onChange({ variant: heaviest ?? variants[0]?.key ?? 'true' });
  };
  const weights = 'rollout' in serve ? serve.rollout.variants : [];
  const sum = weights.reduce((n, w) => n + w.weight, 0);
  const weightOf = (key: string): number => weights.find((w) => w.variant === key)?.weight ?? 0;
  const setWeight = (key: string, percentage: number): void => {
    if (!('rollout' in serve)) return;
    const list = variants.map((v) => ({ variant: v.key, weight: v.key === key ? toWeight(percentage) : weightOf(v.key) }));
    props.onChange({ rollout: { ...serve.rollout, variants: list } });
  };
  return (
    <fieldset class="serve">
      <legend>{props.label}</legend>
      <div class="radios" role="radiogroup" aria-label={`${props.label}: what to serve`}>
        <label>
          <input type="radio" checked={!isRollout} disabled={ctx.disabled} onChange={toVariant} /> A variant
        </label>
        <label>
          <input type="radio" checked={isRollout} disabled={ctx.disabled} onChange={toRollout} /> A percentage rollout
        </label>
      </div>
      {'variant' in serve ? (
        <SelectField
          label="Variant"
          value={serve.variant}
          options={variants.map((v) => ({ value: v.key, label: v.key === props.offVariant ? `${v.key} (off variant)` : v.key }))}
          disabled={ctx.disabled}
          onChange={(variant) => props.onChange({ variant })}
          error={ctx.errors(`${path}.variant`)}
        />
      ) : (
        <div class="weights">
          {variants.map((v) => (
            <TextField
              key={v.key}
              label={`Weight of ${v.key} (%)`}
              type="number"
              min={0}
              max={100}
              step={0.001}
              inputMode="decimal"
              value={String(toPercentage(weightOf(v.key)))}
              disabled={ctx.disabled}
              onInput={(t) => setWeight(v.key, Number(t) || 0)}
            />
          ))}
          <p class={sum === WEIGHT_TOTAL ? 'hint' : 'field-error'} aria-live="polite">
            Total {percent(toPercentage(sum))}
            {sum === WEIGHT_TOTAL ? '' : ' — weights must add up to 100%'}
          </p>
          <TextField
            label="Bucket by attribute"
            value={'rollout' in serve ? (serve.rollout.bucketBy ?? '') : ''}
            placeholder="key"
            hint="Contexts with the same value get the same variant (default: the context key)."
            disabled={ctx.disabled}
            onInput={(b) => 'rollout' in serve && props.onChange({ rollout: { ...serve.rollout, ...(b.trim() === '' ? { bucketBy: undefined } : { bucketBy: b.trim() }) } })}
            error={ctx.errors(`${path}.rollout.bucketBy`)}
          />
          {ctx.errors(`${path}.rollout`) === undefined ? null : <p class="field-error">{ctx.errors(`${path}.rollout`)}</p>}
        </div>
      )}
    </fieldset>
  );
}

function TargetsEditor(props: { targets: Target[]; variants: readonly Variant[]; ctx: EditorContext; onChange: (targets: Target[]) => void }): JSX.Element {
  const [texts, setTexts] = useState<Record<string, string>>(() => Object.fromEntries(props.variants.map((v) => [v.key, (props.targets.find((t) => t.variant === v.key)?.values ?? []).join('\n')])));
  const set = (variant: string, text: string): void => {
    const next = { ...texts, [variant]: text };
    setTexts(next);
    props.onChange(props.variants.map((v) => ({ variant: v.key, values: lines(next[v.key] ?? '') })).filter((t) => t.values.length > 0));
  };
  return (
    <div class="targets">
      {props.variants.map((v) => {
        const index = props.targets.findIndex((t) => t.variant === v.key);
        return (
          <TextArea
            key={v.key}
            label={`Serve ${v.key} to these context keys (one per line)`}
            value={texts[v.key] ?? ''}
            disabled={props.ctx.disabled}
            onInput={(t) => set(v.key, t)}
            error={index < 0 ? undefined : props.ctx.errors(`targets[${index}]`)}
          />
        );
      })}
    </div>
  );
}

function PrerequisitesEditor(props: { prerequisites: Prerequisite[]; ctx: EditorContext; onChange: (p: Prerequisite[]) => void }): JSX.Element {
  const { prerequisites, ctx } = props;
  const others = ctx.flags.filter((f) => f.key !== ctx.flag.key);
  const variantsOf = (key: string): string[] => others.find((f) => f.key === key)?.variants.map((v) => v.key) ?? [];
  return (
    <div class="prerequisites">
      {prerequisites.length === 0 ? <p class="hint">None: targeting runs for everyone.</p> : null}
      {prerequisites.map((p, i) => (
        <fieldset key={i} class="row">
          <legend>Prerequisite {i + 1}</legend>
          <SelectField
            label="Flag"
            value={p.flag}
            options={[...(others.some((f) => f.key === p.flag) ? [] : [{ value: p.flag, label: p.flag }]), ...others.map((f) => ({ value: f.key, label: f.key }))]}
            disabled={ctx.disabled}
            onChange={(flag) => props.onChange(prerequisites.map((x, j) => (j === i ? { flag, variant: variantsOf(flag)[0] ?? 'true' } : x)))}
            error={ctx.errors(`prerequisites[${i}].flag`)}
          />
          <SelectField
            label="Must serve"
            value={p.variant}
            options={variantsOf(p.flag).length === 0 ? [p.variant] : variantsOf(p.flag)}
            disabled={ctx.disabled}
            onChange={(variant) => props.onChange(prerequisites.map((x, j) => (j === i ? { ...x, variant } : x)))}
            error={ctx.errors(`prerequisites[${i}].variant`) ?? ctx.errors(`prerequisites[${i}]`)}
          />
          <button type="button" class="icon" aria-label={`Remove prerequisite ${i + 1}`} disabled={ctx.disabled} onClick={() => props.onChange(prerequisites.filter((_, j) => j !== i))}>
            ✕
          </button>
        </fieldset>
      ))}
      <button
        type="button"
        disabled={ctx.disabled || others.length === 0}
        onClick={() => {
          const first = others[0];
          if (first !== undefined) props.onChange([...prerequisites, { flag: first.key, variant: first.variants[0]?.key ?? 'true' }]);
        }}
      >
        Add prerequisite
      </button>
    </div>
  );
}

function newRuleId(rules: readonly Rule[]): string {
  const used = new Set(rules.map((r) => r.id));
  for (let n = rules.length + 1; ; n++) if (!used.has(`rule-${n}`)) return `rule-${n}`;
}

function RulesEditor(props: { rules: Rule[]; variants: readonly Variant[]; offVariant: string; ctx: EditorContext; onChange: (rules: Rule[]) => void }): JSX.Element {
  const { rules, ctx } = props;
  const set = (i: number, rule: Rule): void => props.onChange(rules.map((r, j) => (j === i ? rule : r)));
  const move = (i: number, by: number): void => {
    const next = [...rules];
    const [rule] = next.splice(i, 1);
    if (rule !== undefined) next.splice(i + by, 0, rule);
    props.onChange(next);
  };
  const firstOn = props.variants.find((v) => v.key !== props.offVariant)?.key ?? props.variants[0]?.key ?? 'true';
  return (
    <div class="rules">
      {rules.length === 0 ? <p class="hint">No rules: everyone not targeted above gets the default rule.</p> : null}
      {rules.map((rule, i) => (
        <fieldset class="rule" key={rule.id}>
          <legend>Rule {i + 1}</legend>
          <p class="hint">
            Rule id <code>{rule.id}</code> (reported by SDKs as the reason's rule)
          </p>
          {ctx.errors(`rules[${i}].id`) === undefined ? null : <p class="field-error">{ctx.errors(`rules[${i}].id`)}</p>}
          <TextField label="Description" value={rule.description ?? ''} disabled={ctx.disabled} onInput={(d) => set(i, { ...rule, ...(d === '' ? { description: undefined } : { description: d }) })} error={ctx.errors(`rules[${i}].description`)} />
          <ClausesEditor clauses={rule.clauses} path={`rules[${i}].clauses`} owner={`Rule ${i + 1}`} ctx={ctx} onChange={(clauses) => set(i, { ...rule, clauses })} />
          <ServeEditor serve={rule.serve} path={`rules[${i}].serve`} label={`Rule ${i + 1} serves`} variants={props.variants} offVariant={props.offVariant} ctx={ctx} onChange={(serve) => set(i, { ...rule, serve })} />
          <div class="actions small">
            <button type="button" disabled={ctx.disabled || i === 0} onClick={() => move(i, -1)}>
              Move rule {i + 1} up
            </button>
            <button type="button" disabled={ctx.disabled || i === rules.length - 1} onClick={() => move(i, 1)}>
              Move rule {i + 1} down
            </button>
            <button type="button" class="danger-text" disabled={ctx.disabled} onClick={() => props.onChange(rules.filter((_, j) => j !== i))}>
              Remove rule {i + 1}
            </button>
          </div>
        </fieldset>
      ))}
      <button type="button" disabled={ctx.disabled} onClick={() => props.onChange([...rules, { id: newRuleId(rules), clauses: [{ attribute: '', op: 'eq', values: [] }], serve: { variant: firstOn } }])}>
        Add rule
      </button>
    </div>
  );
}

/** The whole environment config except the on/off switch (which the page's quick controls own). */
export function TargetingEditor(props: { config: EnvironmentConfig; ctx: EditorContext; onChange: (config: EnvironmentConfig) => void }): JSX.Element {
  const { config, ctx } = props;
  const variants = ctx.flag.variants;
  const set = (patch: Partial<EnvironmentConfig>): void => props.onChange({ ...config, ...patch });
  return (
    <div class="targeting">
      <section aria-labelledby="t-prereq">
        <h3 id="t-prereq">Prerequisites</h3>
        <p class="hint">Other flags that must serve a given variant first; otherwise this flag serves its off variant.</p>
        <PrerequisitesEditor prerequisites={config.prerequisites} ctx={ctx} onChange={(prerequisites) => set({ prerequisites })} />
      </section>
      <section aria-labelledby="t-targets">
        <h3 id="t-targets">Individual targets</h3>
        <TargetsEditor targets={config.targets} variants={variants} ctx={ctx} onChange={(targets) => set({ targets })} />
      </section>
      <section aria-labelledby="t-rules">
        <h3 id="t-rules">Rules</h3>
        <p class="hint">Checked in order; the first rule whose conditions all match decides.</p>
        <RulesEditor rules={config.rules} variants={variants} offVariant={config.offVariant} ctx={ctx} onChange={(rules) => set({ rules })} />
      </section>
      <section aria-labelledby="t-default">
        <h3 id="t-default">Default rule and off variant</h3>
        <ServeEditor serve={config.fallthrough} path="fallthrough" label="Everyone else gets" variants={variants} offVariant={config.offVariant} ctx={ctx} onChange={(fallthrough) => set({ fallthrough })} />
        <SelectField
          label="Off variant (served when off, killed, or a prerequisite fails)"
          value={config.offVariant}
          options={variants.map((v) => v.key)}
          disabled={ctx.disabled}
          onChange={(offVariant) => set({ offVariant })}
          error={ctx.errors('offVariant')}
        />
      </section>
    </div>
  );
}

/** Paths the targeting editor shows errors for (the rest go to the summary). */
export function targetingClaims(path: string): boolean {
  return /^(offVariant|targets\[|rules\[|fallthrough|prerequisites\[)/.test(path);
}
