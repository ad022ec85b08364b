import type { ReactNode } from "react";

/** An error about a whole form or page (not about one field), announced by screen readers. */
export function FormAlert({ children }: { children: ReactNode }) {
  if (!children) return null;
  return (
    <div className="alert alert--error" role="alert">
      {children}
    </div>
  );
}
