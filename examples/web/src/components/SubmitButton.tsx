import { Spinner } from "./Spinner";

interface SubmitButtonProps {
  /** True while the form's request is under way: the button is disabled and says `busyLabel`. */
  busy: boolean;
  label: string;
  busyLabel: string;
  className?: string;
}

/** A form's submit button that shows a spinner while the request runs. */
export function SubmitButton({ busy, label, busyLabel, className = "button button--primary" }: SubmitButtonProps) {
  return (
    <button type="submit" className={className} disabled={busy} aria-busy={busy || undefined}>
      {busy && <Spinner />}
      {busy ? busyLabel : label}
    </button>
  );
}
