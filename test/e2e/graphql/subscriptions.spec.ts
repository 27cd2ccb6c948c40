/**
 * GraphQL subscriptions over graphql-ws: the session is read from the connection's upgrade
 * request, as in a gateway. A user signed in over HTTP (tough-cookie jar) subscribes with the
 * jar's Cookie header on the handshake and the subscription resolver sees the user; without the
 * cookie it sees nobody.
 */
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Body, Controller, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLModule, Query, Resolver, Subscription } from '@nestjs/graphql';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';

import { ChunkedSessionModule, Session, type SessionData } from '../../../src/index.js';
import { TestBrowser } from '../../support/browser.js';

const SECRET = 'a-subscription-test-secret-that-is-long-enough-0123';

@Controller()
class SignInController {
  @Post('login')
  login(@Body() body: { user: string }, @Session() session: SessionData) {
    session.user = body.user;
    return { ok: true };
  }
}

@Resolver()
class GreetingResolver {
  @Query(() => String)
  ping() {
    return 'pong';
  }

  @Subscription(() => String)
  async *greeting(@Session('user') user: string | undefined) {
    yield { greeting: `hello ${user ?? 'nobody'}` };
  }
}

@Module({
  imports: [
    ChunkedSessionModule.forRoot({ secret: SECRET }),
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      subscriptions: { 'graphql-ws': true },
      context: ({ req }: { req: unknown }) => ({ req }),
    }),
  ],
  controllers: [SignInController],
  providers: [GreetingResolver],
})
class SubscriptionAppModule {}

/** Subscribes once with the Cookie header given on the upgrade request; the first value. */
async function firstGreeting(url: string, cookie: string): Promise<unknown> {
  class CookieWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers: cookie ? { cookie } : {} });
    }
  }
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: CookieWebSocket,
    retryAttempts: 0,
  });
  try {
    const iterator = client.iterate({ query: 'subscription { greeting }' });
    const { value } = await iterator.next();
    await iterator.return?.();
    return value;
  } finally {
    await client.dispose();
  }
}

describe('GraphQL subscriptions over graphql-ws', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await NestFactory.create(SubscriptionAppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await app.close();
  });

  it('a subscription resolver sees the user signed in over HTTP, from the upgrade request', async () => {
    const browser = new TestBrowser(url);
    expect(await firstGreeting(url, '')).toEqual({ data: { greeting: 'hello nobody' } });
    await browser.post('/login', { user: 'ada' });
    expect(await firstGreeting(url, await browser.cookieHeader())).toEqual({
      data: { greeting: 'hello ada' },
    });
  });
});
