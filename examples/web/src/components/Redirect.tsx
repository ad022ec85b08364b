import { useEffect } from "react";

import { navigate } from "../router";

/** Replaces the current location with `to` (e.g. /login for a page that needs a session). */
export function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
