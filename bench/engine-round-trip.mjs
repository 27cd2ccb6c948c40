// This library's per-request work on a session, as the engine does it: JSON, envelope, seal,
// chunk planning and splitting; then joining the chunks, opening and decoding the envelope.
// Imported once per mode by micro.mjs (`?encrypt`, `?sign`) so that each has its own code.
import { decodeEnvelope, encodeEnvelope } from '../dist/esm/codec/envelope.js';
import { joinChunks, planChunks, splitChunks } from '../dist/esm/chunking/chunks.js';
import { browserLimits } from '../dist/esm/limits/browser-limits.js';

const NAME = 'session';
const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** Seal as the commit does (`cookie-set.ts`: seal, then chunk), then open as `loadSession` does. */
export function engineRoundTrip(sealer) {
  const limits = browserLimits(CHROME_UA);
  const capacity = {
    maxCookieBytes: limits.maxCookieBytes,
    countsAttributes: limits.countsAttributes,
    attributesBytes: '; Path=/; HttpOnly; SameSite=Lax'.length,
  };
  const maxTotal = 64 * 1024;
  return (data) => {
    const now = Math.floor(Date.now() / 1000);
    const json = JSON.stringify(data);
    const plaintext = encodeEnvelope(now, now, json, false, false);
    const sealed = sealer.seal(NAME, plaintext);
    const plan = planChunks(NAME, sealed.length, capacity, limits.maxCookies);
    const chunks = splitChunks(NAME, sealed, plan);
    const cookies = new Map(chunks.map((c) => [c.name, c.value]));
    const joined = joinChunks(NAME, cookies, limits.maxCookies, maxTotal);
    const opened = sealer.open(NAME, joined);
    const envelope = decodeEnvelope(opened.plaintext);
    return envelope.data;
  };
}
