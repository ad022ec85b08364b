import { Fragment } from "react";

import { AccountPage } from "./account/AccountPage";
import { ProviderCallbackPage } from "./pages/ProviderCallbackPage";
import { useAuth } from "./auth";
import { Layout } from "./components/Layout";
import { Redirect } from "./components/Redirect";
import { afterLogin } from "./providers";
import { Loading } from "./components/Spinner";
import { ForgotPasswordPage } from "./pages/ForgotPasswordPage";
import { InvitationPage } from "./pages/InvitationPage";
import { LoginPage } from "./pages/LoginPage";
import { MagicLinkPage } from "./pages/MagicLinkPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { ResetPasswordPage } from "./pages/ResetPasswordPage";
import { SecondStepPage } from "./pages/SecondStepPage";
import { SessionsPage } from "./pages/SessionsPage";
import { SignupPage } from "./pages/SignupPage";
import { VerifyEmailPage } from "./pages/VerifyEmailPage";
import { useLocation } from "./router";
import { TasksPage } from "./tasks/TasksPage";

/** The routes: which page a path shows, and where it sends you when you are (not) signed in. */
export function App() {
  const { state } = useAuth();
  const { key, pathname, query, state: arrived } = useLocation();
  if (state.status === "loading") {
    return (
      <Layout>
        <Loading>Loading…</Loading>
      </Layout>
    );
  }
  // Keyed by the navigation: following a link to the page you are on shows it afresh.
  return (
    <Layout>
      <Fragment key={key}>{page(pathname, state.status === "signed-in", `${pathname}${query.size > 0 ? `?${query}` : ""}`, arrived.from)}</Fragment>
    </Layout>
  );
}

/**
 * `here`: the path and query, which the login page returns to after signing in (`from`, when it was sent to the
 * login page from another).
 */
function page(pathname: string, signedIn: boolean, here: string, from: string | undefined) {
  const toLogin = <Redirect to="/login" from={here} />;
  switch (pathname) {
    case "/":
      return <Redirect to={signedIn ? "/tasks" : "/login"} />;
    // Only when signed out:
    case "/login":
      return signedIn ? <Redirect to={afterLogin(from)} /> : <LoginPage />;
    case "/signup":
      return signedIn ? <Redirect to="/tasks" /> : <SignupPage />;
    case "/forgot-password":
      return signedIn ? <Redirect to="/tasks" /> : <ForgotPasswordPage />;
    case "/second-step":
      return signedIn ? <Redirect to="/tasks" /> : <SecondStepPage />;
    // Opened from a mail; a tab that is signed in already keeps its session (the link stays unused).
    case "/magic-link":
      return signedIn ? <Redirect to="/tasks" /> : <MagicLinkPage />;
    // Either way (opened from a mail):
    case "/verify-email":
      return <VerifyEmailPage />;
    case "/reset-password":
      return <ResetPasswordPage />;
    // Where the server sends the browser back after a sign-in at an identity provider (its one-time code is
    // exchanged for a new session, signed in or not before).
    case "/auth/callback":
      return <ProviderCallbackPage />;
    // Opened from an invitation mail: signed out, the login page comes first and returns here.
    case "/invitations":
      return signedIn ? <InvitationPage /> : <Redirect to="/login" from={here} notice="Sign in to accept the invitation." />;
    // Only when signed in:
    case "/tasks":
      return signedIn ? <TasksPage /> : toLogin;
    case "/sessions":
      return signedIn ? <SessionsPage /> : toLogin;
    case "/account":
      return signedIn ? <AccountPage /> : toLogin;
    default:
      return <NotFoundPage />;
  }
}
