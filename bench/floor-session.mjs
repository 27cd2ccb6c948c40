// The floor as a session layer: the bare work of a sealed cookie session and nothing else, as an
// Express middleware. JSON + AES-256-GCM + base64url both ways, the value cut naively into
// cookies of 4000 characters (`f0`, `f1`, …) so that browsers keep it. No timestamps, no key
// rotation, no limits, no change detection: it re-seals on an explicit save() (as iron-session
// does). Its ratio to the ceiling is the best a sealed cookie session can reach in this harness.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const CHUNK = 4000;
const RESPONSE = Symbol('response');

export function floorSession(secret) {
  const key = Buffer.alloc(32);
  Buffer.from(secret).copy(key);
  let pool = Buffer.alloc(0);
  let at = 0;
  const iv = () => {
    if (at + 12 > pool.length) {
      pool = randomBytes(12 * 256);
      at = 0;
    }
    at += 12;
    return pool.subarray(at - 12, at);
  };

  const open = (cookieHeader) => {
    if (!cookieHeader) return {};
    const parts = [];
    for (const pair of cookieHeader.split('; ')) {
      if (pair.startsWith('f')) {
        const eq = pair.indexOf('=');
        parts[Number(pair.slice(1, eq))] = pair.slice(eq + 1);
      }
    }
    if (parts.length === 0) return {};
    try {
      const bytes = Buffer.from(parts.join(''), 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      const body = decipher.update(bytes.subarray(12, bytes.length - 16));
      decipher.final();
      return JSON.parse(body.toString('utf8'));
    } catch {
      return {};
    }
  };

  const seal = (data) => {
    const nonce = iv();
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    const body = cipher.update(JSON.stringify(data), 'utf8');
    const sealed = Buffer.concat([nonce, body, cipher.final(), cipher.getAuthTag()]).toString(
      'base64url',
    );
    const lines = [];
    for (let i = 0; i * CHUNK < sealed.length; i++) {
      lines.push(
        `f${i}=${sealed.slice(i * CHUNK, (i + 1) * CHUNK)}; Path=/; HttpOnly; SameSite=Lax`,
      );
    }
    return lines;
  };

  return {
    middleware(req, res, next) {
      req.session = open(req.headers.cookie);
      req[RESPONSE] = res;
      next();
    },
    save(req) {
      req[RESPONSE].setHeader('set-cookie', seal(req.session));
    },
  };
}
