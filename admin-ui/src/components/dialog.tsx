import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

/**
 * A modal dialog on the native <dialog> element: focus moves into it and is kept there, Escape
 * closes it, and the page behind is inert.
 */
export function Dialog(props: { open: boolean; title: string; onClose: () => void; children: ComponentChildren; tone?: 'danger' | 'normal' }): JSX.Element | null {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  if (!props.open) return null;
  return (
    <dialog
      ref={ref}
      class={`dialog${props.tone === 'danger' ? ' tone-danger' : ''}`}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}
