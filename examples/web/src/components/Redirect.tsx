import { useEffect } from "react";

import { navigate } from "../router";

/**
 * Replaces the current location with `to` (e.g. /login for a page that needs a session), passing `from` (the page
 * asked for) along to the next page.
 */
export function Redirect({ to, from }: { to: string; from?: string }) {
  useEffect(() => navigate(to, { replace: true, ...(from ? { from } : {}) }), [to, from]);
  return null;
}
