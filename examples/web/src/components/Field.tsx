import type { InputHTMLAttributes, Ref } from "react";

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "value" | "onChange"> {
  /** The input's id; the hint and the error get `<id>-hint` and `<id>-error`. */
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  /** A short help text under the label. */
  hint?: string;
  /** The API's message for this field, shown under it; marks the input invalid. */
  error?: string | undefined;
  inputRef?: Ref<HTMLInputElement>;
}

/** A labelled text input with its hint and its error message, linked for screen readers. */
export function Field({ id, label, value, onChange, hint, error, inputRef, ...input }: FieldProps) {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={error ? "field field--invalid" : "field"}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
      <input
        id={id}
        ref={inputRef}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        {...input}
      />
      {error && (
        <p id={errorId} className="field__error">
          {error}
        </p>
      )}
    </div>
  );
}
