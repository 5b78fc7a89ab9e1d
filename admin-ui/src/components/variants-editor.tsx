import type { FlagType, JsonValue, Variant } from '@switchyard/core';
import type { JSX } from 'preact';
import { ApiError, type ErrorDetail } from '../api.js';
import type { ErrorsFor } from './fields.js';
import { TextField } from './fields.js';

/** A variant as edited: the value as typed. */
export interface VariantRow {
  key: string;
  value: string;
  name: string;
}

export function rowsOf(variants: readonly Variant[]): VariantRow[] {
  return variants.map((v) => ({ key: v.key, value: typeof v.value === 'string' ? v.value : JSON.stringify(v.value), name: v.name ?? '' }));
}

/** Rows back to variants; values typed per the flag type. A JSON value that does not parse is an error on its field. */
export function variantsOf(type: FlagType, rows: readonly VariantRow[]): Variant[] {
  const problems: ErrorDetail[] = [];
  const variants = rows.map((row, i) => {
    let value: JsonValue = row.value;
    if (type === 'number') {
      const n = Number(row.value);
      value = row.value.trim() !== '' && Number.isFinite(n) ? n : row.value;
    } else if (type === 'json') {
      try {
        value = JSON.parse(row.value) as JsonValue;
      } catch {
        problems.push({ path: `variants[${i}].value`, message: 'not valid JSON' });
      }
    } else if (type === 'boolean') value = row.value === 'true';
    return { key: row.key.trim(), value, ...(row.name.trim() === '' ? {} : { name: row.name.trim() }) };
  });
  if (problems.length > 0) throw new ApiError(400, 'VALIDATION_FAILED', `variants: ${problems.length === 1 ? 'a value is' : 'values are'} not valid JSON`, problems);
  return variants;
}

export function VariantsEditor(props: { type: FlagType; rows: VariantRow[]; onChange: (rows: VariantRow[]) => void; errors: ErrorsFor; disabled?: boolean }): JSX.Element {
  const { rows, onChange, errors } = props;
  const set = (i: number, patch: Partial<VariantRow>): void => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  if (props.type === 'boolean') {
    return (
      <fieldset class="variants">
        <legend>Variants</legend>
        <p class="hint">Boolean flags serve the variants <code>true</code> and <code>false</code>.</p>
      </fieldset>
    );
  }
  return (
    <fieldset class="variants">
      <legend>Variants</legend>
      {errors('variants') !== undefined && rows.every((_, i) => errors(`variants[${i}]`) === undefined) ? <p class="field-error">{errors('variants')}</p> : null}
      {rows.map((row, i) => (
        <div class="row" key={i}>
          <TextField label={`Variant ${i + 1} key`} value={row.key} disabled={props.disabled} onInput={(key) => set(i, { key })} error={errors(`variants[${i}].key`)} />
          <TextField
            label={`Variant ${i + 1} value${props.type === 'json' ? ' (JSON)' : ''}`}
            value={row.value}
            inputMode={props.type === 'number' ? 'decimal' : undefined}
            disabled={props.disabled}
            onInput={(value) => set(i, { value })}
            error={errors(`variants[${i}].value`)}
          />
          <TextField label={`Variant ${i + 1} name`} value={row.name} disabled={props.disabled} onInput={(name) => set(i, { name })} error={errors(`variants[${i}].name`)} />
          <button type="button" class="icon" aria-label={`Remove variant ${i + 1}`} disabled={props.disabled === true || rows.length <= 2} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            ✕
          </button>
        </div>
      ))}
      <button type="button" disabled={props.disabled} onClick={() => onChange([...rows, { key: '', value: '', name: '' }])}>
        Add variant
      </button>
    </fieldset>
  );
}
