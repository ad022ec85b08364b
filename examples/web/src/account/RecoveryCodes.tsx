import { useEffect, useId, useMemo, useRef, useState } from "react";

/**
 * Recovery codes, shown once (the server keeps only their hashes): the list, a text file of them, and an
 * "I saved them" step before the panel closes.
 */
export function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const [saved, setSaved] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const checkboxId = useId();
  // A text file to download: a data URL, so nothing needs revoking.
  const file = useMemo(
    () =>
      `data:text/plain;charset=utf-8,${encodeURIComponent(
        `Recovery codes for Todo (each works once):\n\n${codes.join("\n")}\n`,
      )}`,
    [codes],
  );

  useEffect(() => heading.current?.focus(), []);

  return (
    <section className="panel panel--important" aria-labelledby={`${checkboxId}-heading`}>
      <h3 id={`${checkboxId}-heading`} ref={heading} tabIndex={-1}>
        Save your recovery codes
      </h3>
      <p>
        If you lose your phone or your passkey, each of these codes lets you log in once. Keep them somewhere safe, such
        as a password manager. <strong>They are shown only now.</strong>
      </p>
      <ol className="recovery-codes" data-testid="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <p>
        <a className="button button--small" href={file} download="todo-recovery-codes.txt">
          Download as a text file
        </a>
      </p>
      <div className="checkbox-field">
        <input id={checkboxId} type="checkbox" checked={saved} onChange={(event) => setSaved(event.target.checked)} />
        <label htmlFor={checkboxId}>I have saved these codes somewhere safe</label>
      </div>
      <button type="button" className="button button--primary" disabled={!saved} onClick={onDone}>
        Done
      </button>
    </section>
  );
}
