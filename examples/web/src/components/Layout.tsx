import type { ReactNode } from "react";

import { useAuth } from "../auth";
import { Link, useLocation } from "../router";
import { VerifyEmailBanner } from "./VerifyEmailBanner";

/** The frame of every page: a skip link, the header with the navigation, and the page. */
export function Layout({ children }: { children: ReactNode }) {
  const { state } = useAuth();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="header">
        <div className="header__inner">
          <Link to={state.status === "signed-in" ? "/tasks" : "/login"} className="brand">
            <img src="/favicon.svg" alt="" width="24" height="24" /> Todo
          </Link>
          {state.status === "signed-in" && <SignedInNav email={state.user.email} />}
        </div>
      </header>
      {state.status === "signed-in" && !state.user.email_verified_at && <VerifyEmailBanner email={state.user.email} />}
      <main id="main" className="main">
        {children}
      </main>
    </>
  );
}

function SignedInNav({ email }: { email: string }) {
  const { signOut } = useAuth();
  const { pathname } = useLocation();
  const current = (path: string) => (pathname === path ? "page" : undefined);
  return (
    <nav className="nav" aria-label="Main">
      <Link to="/tasks" aria-current={current("/tasks")}>
        Tasks
      </Link>
      <Link to="/sessions" aria-current={current("/sessions")}>
        Sessions
      </Link>
      <Link to="/account" aria-current={current("/account")}>
        Security
      </Link>
      <span className="nav__user" title={email}>
        {email}
      </span>
      <button type="button" className="button button--quiet" onClick={() => void signOut()}>
        Log out
      </button>
    </nav>
  );
}
