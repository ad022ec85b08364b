import type { ReactNode } from "react";

/** A confirmation ("Account created", "Email sent"), announced politely by screen readers. */
export function Notice({ children }: { children: ReactNode }) {
  if (!children) return null;
  return (
    <div className="alert alert--success" role="status">
      {children}
    </div>
  );
}
