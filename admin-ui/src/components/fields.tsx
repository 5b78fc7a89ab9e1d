import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';
import { ApiError, type ErrorDetail } from '../api.js';

/** The message for a field from an API error's details: exact path, or anything below it. */
export type ErrorsFor = (path: string) => string | undefined;

function under(detail: ErrorDetail, path: string): boolean {
  const p = detail.path ?? '';
  return p === path || p.startsWith(`${path}[`) || p.startsWith(`${path}.`);
}

/** Maps an API error's details onto field paths (`rules[0].clauses[1].values`). */
export function errorsFor(error: unknown): ErrorsFor {
  if (!(error instanceof ApiError) || error.details.length === 0) return () => undefined;
  return (path) => {
    const messages = error.details.filter((d) => under(d, path)).map((d) => d.message);
    return messages.length === 0 ? undefined : [...new Set(messages)].join('; ');
  };
}

interface BaseProps {
  readonly label: string;
  readonly error?: string | undefined;
  readonly hint?: ComponentChildren;
  /** Keep the label for screen readers only (dense editors). */
  readonly labelHidden?: boolean;
  readonly class?: string;
}

function FieldFrame(props: BaseProps & { id: string; children: ComponentChildren }): JSX.Element {
  return (
    <div class={`field${props.error === undefined ? '' : ' has-error'}${props.class === undefined ? '' : ` ${props.class}`}`}>
      <label for={props.id} class={props.labelHidden === true ? 'sr-only' : undefined}>
        {props.label}
      </label>
      {props.children}
      {props.hint === undefined ? null : (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error === undefined ? null : (
        <p class="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

function describedBy(id: string, props: BaseProps): string | undefined {
  const ids = [props.hint === undefined ? '' : `${id}-hint`, props.error === undefined ? '' : `${id}-error`].filter((x) => x !== '');
  return ids.length === 0 ? undefined : ids.join(' ');
}

type InputAttributes = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'value' | 'onInput' | 'label' | 'class' | 'id'>;

export function TextField(props: BaseProps & InputAttributes & { value: string; onInput: (value: string) => void }): JSX.Element {
  const id = useId();
  const { label, error, hint, labelHidden, class: cls, value, onInput, ...rest } = props;
  return (
    <FieldFrame id={id} label={label} error={error} hint={hint} labelHidden={labelHidden} class={cls}>
      <input
        id={id}
        type="text"
        {...rest}
        value={value}
        aria-invalid={error === undefined ? undefined : 'true'}
        aria-describedby={describedBy(id, props)}
        onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)}
      />
    </FieldFrame>
  );
}

export function TextArea(
  props: BaseProps & Omit<JSX.TextareaHTMLAttributes<HTMLTextAreaElement>, 'value' | 'onInput' | 'label' | 'class' | 'id'> & { value: string; onInput: (value: string) => void },
): JSX.Element {
  const id = useId();
  const { label, error, hint, labelHidden, class: cls, value, onInput, ...rest } = props;
  return (
    <FieldFrame id={id} label={label} error={error} hint={hint} labelHidden={labelHidden} class={cls}>
      <textarea
        id={id}
        rows={3}
        {...rest}
        value={value}
        aria-invalid={error === undefined ? undefined : 'true'}
        aria-describedby={describedBy(id, props)}
        onInput={(e) => onInput((e.currentTarget as HTMLTextAreaElement).value)}
      />
    </FieldFrame>
  );
}

export interface Option {
  readonly value: string;
  readonly label: string;
}

export function SelectField(
  props: BaseProps & { value: string; options: readonly (Option | string)[]; onChange: (value: string) => void; disabled?: boolean; required?: boolean },
): JSX.Element {
  const id = useId();
  const { label, error, hint, labelHidden, class: cls, value, options, onChange, disabled, required } = props;
  return (
    <FieldFrame id={id} label={label} error={error} hint={hint} labelHidden={labelHidden} class={cls}>
      <select
        id={id}
        value={value}
        disabled={disabled}
        required={required}
        aria-invalid={error === undefined ? undefined : 'true'}
        aria-describedby={describedBy(id, props)}
        onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}
      >
        {options.map((o) => {
          const option = typeof o === 'string' ? { value: o, label: o } : o;
          return (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          );
        })}
      </select>
    </FieldFrame>
  );
}

export function Checkbox(props: { label: ComponentChildren; checked: boolean; onChange: (checked: boolean) => void; disabled?: boolean; error?: string | undefined; ariaLabel?: string; role?: 'switch' }): JSX.Element {
  return (
    <div class={`field checkbox${props.error === undefined ? '' : ' has-error'}`}>
      <label>
        <input
          type="checkbox"
          role={props.role}
          checked={props.checked}
          disabled={props.disabled}
          aria-label={props.ariaLabel}
          aria-invalid={props.error === undefined ? undefined : 'true'}
          onChange={(e) => props.onChange((e.currentTarget as HTMLInputElement).checked)}
        />{' '}
        {props.label}
      </label>
      {props.error === undefined ? null : <p class="field-error">{props.error}</p>}
    </div>
  );
}

/**
 * The summary of a failed request, announced to screen readers: the server's message, and the
 * details no field on the form shows (`claimed` says which paths the form has fields for).
 */
export function ErrorSummary(props: { error: unknown; claimed?: (path: string) => boolean; title?: string }): JSX.Element | null {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (props.error !== null && props.error !== undefined) ref.current?.focus();
  }, [props.error]);
  if (props.error === null || props.error === undefined) return null;
  const error = props.error instanceof ApiError ? props.error : new ApiError(0, 'ERROR', props.error instanceof Error ? props.error.message : String(props.error));
  const claimed = props.claimed ?? (() => false);
  const rest = error.details.filter((d) => d.path === undefined || d.path === '' || !claimed(d.path));
  return (
    <div class="error-summary" role="alert" tabIndex={-1} ref={ref}>
      <p>
        <strong>{props.title ?? 'Not saved:'}</strong> {error.message}
      </p>
      {rest.length > 1 || (rest.length === 1 && !error.message.includes(rest[0]?.message ?? '')) ? (
        <ul>
          {rest.map((d, i) => (
            <li key={i}>
              {d.path === undefined || d.path === '' ? '' : <code>{d.path}</code>} {d.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** Wraps a button row; `busy` buttons show progress without moving the layout. */
export function Actions(props: { children: ComponentChildren; class?: string }): JSX.Element {
  return <div class={`actions${props.class === undefined ? '' : ` ${props.class}`}`}>{props.children}</div>;
}
