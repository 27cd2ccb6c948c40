/**
 * What a stolen cookie allows, and for how long (SECURITY.md, "A stolen cookie"): in cookie mode
 * a copied cookie keeps working after logout until its timeouts (no server-side revocation); a
 * store partition revokes on logout and on regenerate; the idle and absolute timeouts hold even
 * when the client keeps sending the cookie; dropping a secret from the list revokes everything
 * it sealed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, Post } from '@nestjs/common';
import {
  ChunkedSessionModule,
  MemoryStore,
  Session,
  SessionHandle,
  type ChunkedSessionOptions,
  type SessionHandle as Handle,
} from '../../src/index.js';
import { startNestApp, type RunningApp } from '../support/nest-app.js';
import {
  DELETE_ATTRIBUTES,
  OLD_SECRET,
  RawClient,
  SECRET,
  cookieHeader,
  mintCookies,
  setCookieMap,
} from './harness.js';

@Controller()
class AccountController {
  @Post('login')
  login(@SessionHandle() handle: Handle) {
    handle.regenerate();
    handle.data.user = 'alice';
    return { ok: true };
  }

  @Post('logout')
  logout(@SessionHandle() handle: Handle) {
    handle.destroy();
    return { ok: true };
  }

  @Get('me')
  me(@Session('user') user: string | undefined) {
    return { user: user ?? null };
  }
}

async function start(
  options: ChunkedSessionOptions,
): Promise<{ client: RawClient; close(): Promise<void> }> {
  @Module({ imports: [ChunkedSessionModule.forRoot(options)], controllers: [AccountController] })
  class AccountModule {}
  const running: RunningApp = await startNestApp(AccountModule);
  const client = new RawClient(running.url);
  return {
    client,
    close: async () => {
      client.close();
      await running.close();
    },
  };
}

describe('a stolen cookie', () => {
  let cookieMode: Awaited<ReturnType<typeof start>>;
  let storeMode: Awaited<ReturnType<typeof start>>;
  const store = new MemoryStore();

  beforeAll(async () => {
    cookieMode = await start({ secret: SECRET, idleTimeout: 600, absoluteTimeout: 3600 });
    storeMode = await start({
      secret: SECRET,
      sessions: [{ cookieName: 'sid', fields: 'auto', store }],
    });
  });
  afterAll(async () => {
    await cookieMode.close();
    await storeMode.close();
  });

  it('cookie mode: a copy taken before logout still opens the session (no server-side revocation)', async () => {
    const login = await cookieMode.client.post('/login', {});
    const stolen = cookieHeader(setCookieMap(login.setCookies));
    const logout = await cookieMode.client.post('/logout', {}, stolen);
    expect(logout.setCookies).toEqual([`session=; ${DELETE_ATTRIBUTES}`]);
    // The victim's browser dropped the cookie; the thief's copy is still valid until it times out.
    const replay = await cookieMode.client.get('/me', stolen);
    expect(replay.json).toEqual({ user: 'alice' });
  });

  it('store mode: logout deletes the record, so the copy opens nothing and is deleted', async () => {
    const login = await storeMode.client.post('/login', {});
    const stolen = cookieHeader(setCookieMap(login.setCookies));
    expect(store.size).toBe(1);
    await storeMode.client.post('/logout', {}, stolen);
    expect(store.size).toBe(0);
    const replay = await storeMode.client.get('/me', stolen);
    expect(replay.json).toEqual({ user: null });
    expect(replay.setCookies).toEqual([`sid=; ${DELETE_ATTRIBUTES}`]);
  });

  it('store mode: a cookie planted before login (fixation) is worthless after regenerate', async () => {
    const planted = await storeMode.client.post('/login', {});
    const plantedCookie = cookieHeader(setCookieMap(planted.setCookies));
    // The victim logs in carrying the planted cookie: regenerate gives a new id.
    const victim = await storeMode.client.post('/login', {}, plantedCookie);
    const victimCookie = cookieHeader(setCookieMap(victim.setCookies));
    expect(victimCookie).not.toBe(plantedCookie);
    expect((await storeMode.client.get('/me', plantedCookie)).json).toEqual({ user: null });
    expect((await storeMode.client.get('/me', victimCookie)).json).toEqual({ user: 'alice' });
  });

  it('the idle timeout holds from the sealed time, whatever the client sends', async () => {
    const now = Math.floor(Date.now() / 1000);
    const json = JSON.stringify({ user: 'alice' });
    const idle = mintCookies({
      cookieName: 'session',
      json,
      createdAt: now - 700,
      writtenAt: now - 601,
    });
    expect((await cookieMode.client.get('/me', cookieHeader(idle))).json).toEqual({ user: null });
    const live = mintCookies({
      cookieName: 'session',
      json,
      createdAt: now - 700,
      writtenAt: now - 500,
    });
    expect((await cookieMode.client.get('/me', cookieHeader(live))).json).toEqual({
      user: 'alice',
    });
  });

  it('the absolute timeout holds even for a session touched a second ago', async () => {
    const now = Math.floor(Date.now() / 1000);
    const json = JSON.stringify({ user: 'alice' });
    const old = mintCookies({
      cookieName: 'session',
      json,
      createdAt: now - 3601,
      writtenAt: now - 1,
    });
    expect((await cookieMode.client.get('/me', cookieHeader(old))).json).toEqual({ user: null });
    const young = mintCookies({
      cookieName: 'session',
      json,
      createdAt: now - 3500,
      writtenAt: now - 1,
    });
    expect((await cookieMode.client.get('/me', cookieHeader(young))).json).toEqual({
      user: 'alice',
    });
  });

  it('dropping a secret from the list revokes every cookie it sealed (the emergency rotation)', async () => {
    const json = JSON.stringify({ user: 'alice' });
    const sealedWithOld = cookieHeader(
      mintCookies({ cookieName: 'session', secrets: [OLD_SECRET], json }),
    );
    const rotating = await start({ secret: [SECRET, OLD_SECRET] });
    const rotated = await start({ secret: [SECRET] });
    try {
      const during = await rotating.client.get('/me', sealedWithOld);
      expect(during.json).toEqual({ user: 'alice' });
      expect(during.setCookies).toHaveLength(1); // re-sealed with the first secret on that response
      const after = await rotated.client.get('/me', sealedWithOld);
      expect(after.json).toEqual({ user: null });
      expect(after.setCookies).toEqual([`session=; ${DELETE_ATTRIBUTES}`]);
      // The cookie re-sealed during the rotation is read after it.
      const resealed = cookieHeader(setCookieMap(during.setCookies));
      expect((await rotated.client.get('/me', resealed)).json).toEqual({ user: 'alice' });
    } finally {
      await rotating.close();
      await rotated.close();
    }
  });
});
