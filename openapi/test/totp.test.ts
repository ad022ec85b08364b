/**
 * The tests' TOTP helper (test/totp.ts) against the published test vectors, so that a failing second-step
 * test means the server or the client, never the helper.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { base32Decode, codeForStep, hotp, totp } from "./totp.js";

const RFC_SECRET = Buffer.from("12345678901234567890", "ascii");

test("TOTP: RFC 6238 Appendix B, SHA-1, 8 digits", () => {
  const vectors: [number, string][] = [
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ];
  for (const [time, code] of vectors) assert.equal(totp(RFC_SECRET, time, 8), code, `T=${time}`);
});

test("HOTP: RFC 4226 Appendix D, 6 digits (the truncation the server's 6-digit codes use)", () => {
  const codes = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
  codes.forEach((code, counter) => assert.equal(hotp(RFC_SECRET, counter), code, `counter ${counter}`));
});

test("base32: RFC 4648's alphabet, padding, case and spaces (as authenticator apps accept a secret)", () => {
  assert.equal(base32Decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").toString("ascii"), "12345678901234567890");
  assert.equal(base32Decode("MZXW6YQ=").toString("ascii"), "foob");
  assert.equal(base32Decode("mzxw 6ytb oi").toString("ascii"), "foobar");
  assert.throws(() => base32Decode("MZXW1"), /not base32/);
  assert.equal(codeForStep("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 1), "287082");
});
