#!/usr/bin/env python3
"""End to end over real SMTP: the server sends to aiosmtpd, and the links in the delivered mails work.

Usage: mail_e2e.py <todo-rocket binary> [DATABASE_URL]   (run with a Python that has aiosmtpd installed)

Starts aiosmtpd (writing to a Maildir) and the server (DATABASE_URL, or a fresh SQLite file; SMTP_URL pointing
at aiosmtpd) on free
loopback ports, then, through HTTP only:
- signup -> the verification mail arrives -> its link's token verifies the email;
- two logins (two sessions) -> forgot -> the reset mail arrives -> reset with its token -> login with the new
  password works; the old password, the old access tokens and the old refresh tokens are refused;
- a sign-in link -> the mail arrives -> its token signs in once (a session won by the link: amr ["email"]);
- the server log (LOG_FORMAT=json) is one JSON object per line, has one line per request with its route
  template, status and request id, carries the request id on the lines written while handling a request, and
  holds no token, password, address or task id (mails go over SMTP, not to the log).
"""

import email
import email.policy
import json
import mailbox
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

APP_URL = "https://app.example"
ADDRESS = "mail-e2e@example.com"
OLD_PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    sys.exit(f"error: timed out waiting for {what}")


class Api:
    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None, token=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if body is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    def expect(self, status, method, path, body=None, token=None):
        got, answer = self.call(method, path, body, token)
        if got != status:
            sys.exit(f"error: {method} {path}: expected {status}, got {got}: {answer}")
        return answer


def delivered(maildir):
    """The delivered messages as (subject, to, plain text, html), in no particular order: Maildir keys do not
    sort by arrival (their microseconds are not zero-padded), so callers pick a mail by its link."""
    messages = []
    for key, _ in mailbox.Maildir(maildir, create=False).items():
        with open(os.path.join(maildir, "new", key), "rb") as raw:
            message = email.message_from_binary_file(raw, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        messages.append((str(message["Subject"]), str(message["To"]), text, html))
    return messages


def token_of(text, page):
    match = re.search(re.escape(f"{APP_URL}/{page}?token=") + r"([A-Za-z0-9_-]{43,})", text)
    if not match:
        sys.exit(f"error: no {page} link in the mail:\n{text}")
    return match.group(1)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="mail-e2e-")
    database_url = sys.argv[2] if len(sys.argv) == 3 else f"sqlite:{work}/todo.db"
    maildir = os.path.join(work, "Maildir")
    smtp_port, http_port = free_port(), free_port()
    smtpd = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}", "-c",
         "aiosmtpd.handlers.Mailbox", maildir],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    log_path = os.path.join(work, "server.log")
    log = open(log_path, "wb")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ROCKET_", "JWT_", "DATABASE_", "SMTP_", "MAIL_", "APP_", "RATE_LIMIT_"))}
    env.update({
        "JWT_SECRET": "mail-e2e-secret-that-is-at-least-32-bytes",
        "BCRYPT_COST": "4",
        "DATABASE_URL": database_url,
        "ROCKET_ADDRESS": "127.0.0.1",
        "ROCKET_PORT": str(http_port),
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "MAIL_FROM": "Todo <no-reply@example.com>",
        "APP_URL": APP_URL,
        "RUST_LOG": "info",
        "LOG_FORMAT": "json",
    })
    server = subprocess.Popen([binary], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    try:
        wait_until("aiosmtpd", lambda: os.path.isdir(os.path.join(maildir, "new")) or try_connect(smtp_port))
        api = Api(f"http://127.0.0.1:{http_port}")
        wait_until("the server", lambda: try_call(api, "/health"))

        # Signup: the verification mail goes out over SMTP after the answer.
        api.expect(201, "POST", "/auth/signup", {"email": ADDRESS, "password": OLD_PASSWORD})
        mails = wait_until("the verification mail", lambda: delivered_or_none(maildir, 1))
        subject, to, text, html = mails[0]
        assert ADDRESS in to, to
        verify_token = token_of(text, "verify-email")
        assert verify_token in html, "the HTML alternative carries the same link"
        user = api.expect(200, "POST", "/auth/email/verify", {"token": verify_token})
        assert user["email_verified_at"], user
        api.expect(422, "POST", "/auth/email/verify", {"token": verify_token})
        print(f"verification: '{subject}' delivered, its link verified the email, and works once")

        # Two sessions, then forgot -> reset.
        first = api.expect(200, "POST", "/auth/login", {"email": ADDRESS, "password": OLD_PASSWORD})
        second = api.expect(200, "POST", "/auth/login", {"email": ADDRESS, "password": OLD_PASSWORD})
        api.expect(202, "POST", "/auth/password/forgot", {"email": ADDRESS})
        mails = wait_until("the reset mail", lambda: delivered_or_none(maildir, 2))
        resets = [mail for mail in mails if f"{APP_URL}/reset-password?token=" in mail[2]]
        if len(resets) != 1:
            sys.exit(f"error: expected one reset mail among {[mail[0] for mail in mails]}")
        subject, to, text, _ = resets[0]
        reset_token = token_of(text, "reset-password")
        renewed = api.expect(200, "POST", "/auth/password/reset", {"token": reset_token, "new_password": NEW_PASSWORD})
        api.expect(200, "GET", "/auth/me", token=renewed["access_token"])
        task = api.expect(201, "POST", "/tasks", {"title": "log check"}, token=renewed["access_token"])
        api.expect(200, "GET", f"/tasks/{task['id']}", token=renewed["access_token"])
        refreshed = api.expect(200, "POST", "/auth/refresh", {"refresh_token": renewed["refresh_token"]})
        api.expect(200, "POST", "/auth/login", {"email": ADDRESS, "password": NEW_PASSWORD})
        api.expect(401, "POST", "/auth/login", {"email": ADDRESS, "password": OLD_PASSWORD})
        for session in (first, second):
            api.expect(401, "GET", "/auth/me", token=session["access_token"])
            api.expect(401, "POST", "/auth/refresh", {"refresh_token": session["refresh_token"]})
        api.expect(422, "POST", "/auth/password/reset", {"token": reset_token, "new_password": NEW_PASSWORD})
        print(f"recovery: '{subject}' delivered; reset worked once; the old password and both old sessions are refused")

        # Sign-in link: the mail goes out over SMTP after the 202; its token signs in, once.
        api.expect(202, "POST", "/auth/magic-link", {"email": ADDRESS})
        mails = wait_until("the sign-in mail", lambda: delivered_or_none(maildir, 3))
        sign_ins = [mail for mail in mails if f"{APP_URL}/magic-link?token=" in mail[2]]
        if len(sign_ins) != 1:
            sys.exit(f"error: expected one sign-in mail among {[mail[0] for mail in mails]}")
        subject, to, text, html = sign_ins[0]
        assert ADDRESS in to, to
        sign_in_token = token_of(text, "magic-link")
        assert sign_in_token in html, "the HTML alternative carries the same link"
        linked = api.expect(200, "POST", "/auth/magic-link/verify", {"token": sign_in_token})
        if linked.get("token_type") != "bearer" or not linked.get("access_token") or not linked.get("refresh_token"):
            sys.exit(f"error: the sign-in link did not answer a token response: {list(linked)}")
        assert api.expect(200, "GET", "/auth/me", token=linked["access_token"])["email"] == ADDRESS
        sessions = api.expect(200, "GET", "/auth/sessions", token=linked["access_token"])
        current = [session for session in sessions if session["current"]]
        if len(current) != 1 or current[0]["amr"] != ["email"] or current[0]["aal"] != 1:
            sys.exit(f"error: the sign-in link's session is not an email session: {current}")
        api.expect(422, "POST", "/auth/magic-link/verify", {"token": sign_in_token})
        print(f"sign-in link: '{subject}' delivered; its token signed in (an email session), and works once")
    finally:
        server.terminate()
        smtpd.terminate()
        server.wait(timeout=10)
        smtpd.wait(timeout=10)
        log.close()

    server_log = open(log_path, encoding="utf-8", errors="replace").read()
    secrets = [verify_token, reset_token, sign_in_token, ADDRESS, OLD_PASSWORD, NEW_PASSWORD, task["id"]]
    for tokens in (first, second, renewed, refreshed, linked):
        secrets += [tokens["access_token"], tokens["refresh_token"]]
    for secret in secrets:
        if secret in server_log:
            sys.exit(f"error: the server log contains a secret, an address or an id ({secret[:6]}…):\n{server_log}")
    lines = [json.loads(line) for line in server_log.splitlines() if line.strip()]  # fails on a non-JSON line
    requests = [line["fields"] for line in lines if line.get("target") == "todo_rocket::request"]
    routes = {(r["method"], r["route"], r["status"]) for r in requests}
    for expected in (("POST", "/auth/signup", 201), ("GET", "/tasks/<id>", 200), ("POST", "/auth/refresh", 200),
                     ("POST", "/auth/magic-link/verify", 200)):
        if expected not in routes:
            sys.exit(f"error: no request line for {expected}; request lines: {sorted(routes)}")
    if not all(r.get("request_id") and isinstance(r.get("latency_ms"), (int, float)) for r in requests):
        sys.exit(f"error: a request line without a request id or latency: {requests}")
    in_requests = [line for line in lines if line.get("fields", {}).get("message") == "mail sent"]
    if len(in_requests) != 3 or not all(line.get("span", {}).get("request_id") for line in in_requests):
        sys.exit(f"error: the 'mail sent' lines do not carry their request's id: {in_requests}")
    if not any(line.get("fields", {}).get("message", "").startswith("mail: SMTP at 127.0.0.1") for line in lines):
        sys.exit(f"error: the start-up log does not say which mailer is in use:\n{server_log}")
    print(f"logs: {len(lines)} JSON lines, {len(requests)} request lines with route templates and request ids;")
    print(f"      none of {len(secrets)} tokens, passwords, the address or the task id appears; the mailer is named")
    print(f"mail end-to-end on {database_url.split(':')[0]}: passed")


def try_connect(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def try_call(api, path):
    try:
        return api.call("GET", path)[0] == 200
    except OSError:
        return False


def delivered_or_none(maildir, count):
    if not os.path.isdir(os.path.join(maildir, "new")):
        return None
    mails = delivered(maildir)
    return mails if len(mails) >= count else None


if __name__ == "__main__":
    main()
