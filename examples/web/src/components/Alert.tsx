import type { ReactNode } from "react";

/**
 * A message about a whole form or page, announced by screen readers: nothing when there is
 * nothing to say.
 */
function Alert({ tone, role, children }: { tone: "error" | "success"; role: "alert" | "status"; children: ReactNode }) {
  if (!children) return null;
  return (
    <div className={`alert alert--${tone}`} role={role}>
      {children}
    </div>
  );
}

/** An error about a whole form or page (not about one field), announced at once. */
export function FormAlert({ children }: { children: ReactNode }) {
  return <Alert tone="error" role="alert">{children}</Alert>;
}

/** A confirmation ("Account created", "Email sent"), announced politely. */
export function Notice({ children }: { children: ReactNode }) {
  return <Alert tone="success" role="status">{children}</Alert>;
}
