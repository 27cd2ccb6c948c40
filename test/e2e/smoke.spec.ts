import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, Post } from '@nestjs/common';
import { ChunkedSessionModule, Session, SessionHandle } from '../../src/index.js';
import { TestBrowser } from '../support/browser.js';
import { startNestApp, type RunningApp } from '../support/nest-app.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

@Controller()
class CounterController {
  @Get('count')
  count(@Session() session: { count?: number }) {
    session.count = (session.count ?? 0) + 1;
    return { count: session.count };
  }

  @Get('read')
  read(@Session('count') count: number | undefined) {
    return { count: count ?? null };
  }

  @Post('logout')
  logout(@SessionHandle() handle: SessionHandle) {
    handle.destroy();
    return { ok: true };
  }
}

@Module({
  imports: [ChunkedSessionModule.forRoot({ secret: SECRET })],
  controllers: [CounterController],
})
class AppModule {}

describe('smoke', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startNestApp(AppModule);
  });
  afterAll(() => running.close());

  it('counts, reads, and logs out', async () => {
    const browser = new TestBrowser(running.url);
    expect((await browser.get('/count')).json).toEqual({ count: 1 });
    const second = await browser.get('/count');
    expect(second.json).toEqual({ count: 2 });
    const read = await browser.get('/read');
    expect(read.json).toEqual({ count: 2 });
    expect(read.setCookies).toEqual([]);
    const out = await browser.post('/logout');
    expect(out.setCookies[0]).toMatch(
      /^session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/,
    );
    expect((await browser.get('/read')).json).toEqual({ count: null });
    expect(await browser.cookies()).toEqual(new Map());
  });
});
