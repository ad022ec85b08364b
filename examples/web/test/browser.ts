/**
 * Test helper: Debian's Chromium (`$CHROMIUM_BIN`, default `/usr/bin/chromium`) started headless by
 * playwright-core, with a fresh temporary profile and no background traffic. No browser is downloaded.
 * (The same as openapi/test/browser.ts.)
 */
import { chromium, type Browser } from "playwright-core";

const CHROMIUM = process.env["CHROMIUM_BIN"] || "/usr/bin/chromium";

/** Launches headless Chromium; close it with `browser.close()`. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 60_000,
  });
}
