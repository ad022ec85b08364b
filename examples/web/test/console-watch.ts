/**
 * Test helper: every console error and page error of a page fails the test, with two exceptions
 * that are not errors of the app, checked one by one against the browser's network log (and the console errors
 * of another site's pages that the tab visits, declared with {@link ConsoleWatch.allowOtherSite}):
 *
 * Chromium writes "Failed to load resource: the server responded with a status of 4xx" to the
 * console for every fetch that gets an error status, even when the page handles it. So:
 *
 * 1. An API error that a step provokes on purpose and declares with {@link ConsoleWatch.expectApiError}
 *    (a 422 for a too-short password, a 401 for a wrong password, ...) is allowed, for that method,
 *    path and status only, as many times as declared.
 * 2. A 401 from the API is allowed when it is the client's silent refresh at work: the access
 *    token had expired (the test runs the server with a short JWT_TTL_SECONDS), and the network
 *    log shows that a `POST /auth/refresh` answered 200 after that request was sent and that the
 *    same request was then sent again and succeeded.
 *
 * Anything else (another console error, a page error, a 4xx/5xx that no step expected, a 401 not
 * followed by a refresh and a successful retry) is reported by {@link ConsoleWatch.verdict}.
 */
import type { ConsoleMessage, Page, Request, Response } from "playwright-core";

interface Exchange {
  method: string;
  url: string;
  /** When the request was sent and when its response came, on one counter of network events. */
  sentAt: number;
  answeredAt: number;
  status: number;
}

interface Expectation {
  method: string;
  path: RegExp;
  status: number;
  why: string;
  left: number;
}

const FAILED_LOAD = /^Failed to load resource: the server responded with a status of (\d{3})\b/;

export class ConsoleWatch {
  readonly #apiOrigin: string;
  readonly #unexplained: string[] = [];
  readonly #failedLoads: { status: number; url: string; text: string }[] = [];
  readonly #exchanges: Exchange[] = [];
  readonly #sentAt = new WeakMap<Request, number>();
  readonly #expectations: Expectation[] = [];
  readonly #otherSites: { origin: string; why: string }[] = [];
  readonly #otherSiteErrors: string[] = [];
  #clock = 0;

  constructor(page: Page, apiOrigin: string) {
    this.#apiOrigin = apiOrigin;
    page.on("console", (message) => this.#onConsole(message));
    page.on("pageerror", (error) => this.#unexplained.push(`page error: ${error.stack ?? error.message}`));
    page.on("request", (request) => this.#sentAt.set(request, ++this.#clock));
    page.on("response", (response) => this.#onResponse(response));
  }

  /**
   * Declares that the API answers `status` to `method path` on purpose in the coming step, `times` times
   * (the console error that Chromium logs for it is then allowed).
   */
  expectApiError(method: string, path: string | RegExp, status: number, why: string, times = 1): void {
    const exact = typeof path === "string" ? new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) : path;
    this.#expectations.push({ method, path: exact, status, why, left: times });
  }

  /** The API exchanges seen so far (method, URL, status, in order of their responses). */
  exchanges(): readonly Exchange[] {
    return this.#exchanges;
  }

  /**
   * Sorts out the console errors seen so far (call once, at the end): what went wrong, one line each
   * (empty when all is well), and the allowed ones, one line each.
   */
  verdict(): { problems: string[]; allowed: string[] } {
    const problems = [...this.#unexplained];
    const allowed: string[] = [...this.#otherSiteErrors];
    const used = new Set<Exchange>();
    for (const load of this.#failedLoads) {
      const exchange = this.#exchanges.find((e) => !used.has(e) && e.url === load.url && e.status === load.status);
      if (!exchange) {
        problems.push(`console error without a matching response in the network log: ${load.text} (${load.url})`);
        continue;
      }
      used.add(exchange);
      const what = `${exchange.method} ${new URL(exchange.url).pathname} ${exchange.status}`;
      const expectation = this.#consumeExpectation(exchange);
      if (expectation) allowed.push(`${what}: provoked (${expectation.why})`);
      else if (exchange.status === 401 && this.#handledByRefresh(exchange)) allowed.push(`${what}: expired token, refreshed and retried`);
      else problems.push(`unexpected ${exchange.status} from ${exchange.method} ${exchange.url}: ${load.text}`);
    }
    return { problems, allowed };
  }

  /**
   * Declares `origin` another site that the tab visits (the identity provider's login page): the console errors of
   * its pages and resources (its missing /favicon.ico) are that site's, not the app's, and are allowed.
   */
  allowOtherSite(origin: string, why: string): void {
    this.#otherSites.push({ origin, why });
  }

  #onConsole(message: ConsoleMessage): void {
    if (message.type() !== "error") return;
    const text = message.text();
    const url = message.location().url;
    const site = this.#otherSites.find(({ origin }) => url.startsWith(`${origin}/`));
    if (site) {
      this.#otherSiteErrors.push(`${text} (${url}): another site (${site.why})`);
      return;
    }
    const failed = FAILED_LOAD.exec(text);
    if (failed && url.startsWith(`${this.#apiOrigin}/`)) this.#failedLoads.push({ status: Number(failed[1]), url, text });
    else this.#unexplained.push(`console error: ${text}${url ? ` (${url})` : ""}`);
  }

  #onResponse(response: Response): void {
    if (!response.url().startsWith(`${this.#apiOrigin}/`)) return;
    const request = response.request();
    this.#exchanges.push({
      method: request.method(),
      url: response.url(),
      sentAt: this.#sentAt.get(request) ?? 0,
      answeredAt: ++this.#clock,
      status: response.status(),
    });
  }

  #consumeExpectation(exchange: Exchange): Expectation | undefined {
    const path = new URL(exchange.url).pathname;
    const expectation = this.#expectations.find(
      (e) => e.left > 0 && e.method === exchange.method && e.status === exchange.status && e.path.test(path),
    );
    if (expectation) expectation.left -= 1;
    return expectation;
  }

  /** A 401 that the client answered by a refresh (200, after the request was sent) and a successful retry. */
  #handledByRefresh(unauthorized: Exchange): boolean {
    if (new URL(unauthorized.url).pathname === "/auth/refresh") return false;
    const retry = this.#exchanges.find(
      (e) =>
        e.answeredAt > unauthorized.answeredAt &&
        e.method === unauthorized.method &&
        e.url === unauthorized.url &&
        e.status < 400,
    );
    if (!retry) return false;
    return this.#exchanges.some(
      (e) =>
        e.method === "POST" &&
        new URL(e.url).pathname === "/auth/refresh" &&
        e.status === 200 &&
        e.answeredAt > unauthorized.sentAt &&
        e.answeredAt < retry.answeredAt,
    );
  }
}
