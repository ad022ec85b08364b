import { useEffect } from "react";

import { navigate } from "../router";

/**
 * Replaces the current location with `to` (e.g. /login for a page that needs a session), passing `from` (the page
 * asked for) along to the next page, and a `notice` for it to show (why the visitor was sent there).
 */
export function Redirect({ to, from, notice }: { to: string; from?: string; notice?: string }) {
  useEffect(() => navigate(to, { replace: true, ...(from ? { from } : {}), ...(notice ? { notice } : {}) }), [to, from, notice]);
  return null;
}
