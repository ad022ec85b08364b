import type { ChangeEvent, InputHTMLAttributes, Ref, TextareaHTMLAttributes } from "react";

/** What every field has, whatever its control. */
interface FieldBase {
  /** The control's id; the hint and the error get `<id>-hint` and `<id>-error`. */
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  /** A short help text under the label. */
  hint?: string | undefined;
  /** The API's message for this field, shown under it; marks the control invalid. */
  error?: string | undefined;
}

/** A one-line text input (no `rows`). */
type InputProps = FieldBase &
  Omit<InputHTMLAttributes<HTMLInputElement>, keyof FieldBase> & {
    rows?: undefined;
    inputRef?: Ref<HTMLInputElement>;
  };

/** A multi-line text area of `rows` lines. */
type TextAreaProps = FieldBase &
  Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, keyof FieldBase> & {
    rows: number;
    inputRef?: undefined;
  };

export type FieldProps = InputProps | TextAreaProps;

/**
 * A labelled text input, or a text area when given `rows`, with its hint and its error message,
 * linked for screen readers.
 */
export function Field({ id, label, value, onChange, hint, error, inputRef, ...attributes }: FieldProps) {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const control = {
    id,
    value,
    onChange: (event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => onChange(event.target.value),
    "aria-invalid": error ? true : undefined,
    "aria-describedby": [hintId, errorId].filter(Boolean).join(" ") || undefined,
  };
  return (
    <div className={error ? "field field--invalid" : "field"}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
      {attributes.rows === undefined ? (
        <input ref={inputRef} {...control} {...attributes} />
      ) : (
        <textarea {...control} {...attributes} />
      )}
      {error && (
        <p id={errorId} className="field__error">
          {error}
        </p>
      )}
    </div>
  );
}

/** An account's email address, as the log-in, sign-up and forgotten-password forms ask for it. */
export function EmailField(props: Omit<InputProps, "label" | "type">) {
  return <Field label="Email" type="email" required {...props} />;
}

/**
 * A password: the account's current one, or a `fresh` one being chosen (the browser may suggest
 * one, and the hint gives the API's minimum length).
 */
export function PasswordField({ fresh, ...props }: Omit<InputProps, "type" | "autoComplete"> & { fresh?: boolean }) {
  return (
    <Field
      type="password"
      autoComplete={fresh ? "new-password" : "current-password"}
      hint={fresh ? "At least 8 characters." : undefined}
      required
      {...props}
    />
  );
}

/** A labelled drop-down of `options` (value and words), with its error message. */
export function SelectField({
  id,
  label,
  value,
  onChange,
  options,
  error,
  disabled,
}: {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  options: readonly { value: string; label: string }[];
  error?: string | undefined;
  disabled?: boolean;
}) {
  const errorId = error ? `${id}-error` : undefined;
  return (
    <div className={error ? "field field--invalid" : "field"}>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={errorId}
        disabled={disabled}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      {error && (
        <p id={errorId} className="field__error">
          {error}
        </p>
      )}
    </div>
  );
}
