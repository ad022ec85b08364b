/**
 * Test helper: TOTP codes (RFC 6238 with HMAC-SHA-1, as the server and authenticator apps compute them), so
 * that a test can act as the user's authenticator app. `totp.test.ts` pins it with the RFC's test vectors.
 * examples/web's end-to-end test imports it by relative path.
 */
import { createHmac } from "node:crypto";

/** The time step of the server's codes (RFC 6238's default). */
export const STEP_SECONDS = 30;

/** Decodes RFC 4648 base32 (upper or lower case, with or without `=` padding, spaces ignored). */
export function base32Decode(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const clean = text.replace(/[\s=]/g, "").toUpperCase();
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = alphabet.indexOf(char);
    if (index === -1) throw new Error(`not base32: ${JSON.stringify(char)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** The time step (counter) of `unixSeconds`. */
export function stepAt(unixSeconds: number): number {
  return Math.floor(unixSeconds / STEP_SECONDS);
}

/** The HOTP value (RFC 4226) of `counter` with HMAC-SHA-1: `digits` decimal digits, zero-padded. */
export function hotp(secret: Buffer, counter: number, digits = 6): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f; // dynamic truncation
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** The TOTP code (RFC 6238, SHA-1, 30-second steps) for `unixSeconds`. */
export function totp(secret: Buffer, unixSeconds: number, digits = 6): string {
  return hotp(secret, stepAt(unixSeconds), digits);
}

/** The 6-digit code of a base32 secret (as the server hands it out) for time step `step`. */
export function codeForStep(base32Secret: string, step: number): string {
  return hotp(base32Decode(base32Secret), step);
}

/** The current time step. */
export function currentStep(): number {
  return stepAt(Date.now() / 1000);
}
