import { createHash, randomUUID } from 'node:crypto';
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Header,
  Inject,
  NotFoundException,
  Param,
  Post,
  Redirect,
  Req,
  UseGuards,
} from '@nestjs/common';
import type { Request } from 'express';
import { CATALOG, findProduct, type Product } from './catalog.js';
import { cookieReport } from './cookie-report.js';
import { Session, SessionHandle } from './library.js';
import { renderAccount, renderPage } from './page.js';
import { SAMPLE_CONFIG, type SampleConfig } from './sample.config.js';
import { DEFAULT_PREFS, type Currency, type ShopSession } from './shop-session.js';
import { SignedInGuard } from './signed-in.guard.js';

/** How many products the bulk buttons view or add. */
const BULK = 10;
const CURRENCIES: readonly Currency[] = ['EUR', 'USD', 'GBP'];

/**
 * The shop. Handlers change the session as a plain object (`@Session()`); the library notices
 * the changes and writes the cookies. Every POST answers with a redirect back to the page.
 */
@Controller()
export class ShopController {
  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  home(
    @Session() session: ShopSession,
    @SessionHandle() handle: SessionHandle,
    @Req() req: Request,
  ): string {
    return renderPage({
      session,
      remembered: handle.isRemembered,
      report: cookieReport(
        req.headers.cookie,
        req.headers['user-agent'],
        this.config.partitions.map((p) => p.cookieName),
      ),
      shrink: this.config.shrinkLog.lastFor(session.visitor),
      partitions: this.config.partitions,
    });
  }

  @Get('account')
  @UseGuards(SignedInGuard)
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  account(@Session() session: ShopSession): string {
    return renderAccount(session);
  }

  @Post('login')
  @Redirect('/', 303)
  login(
    @Body('name') name: unknown,
    @Body('remember') remember: unknown,
    @Session() session: ShopSession,
    @SessionHandle() handle: SessionHandle,
  ): void {
    const clean = typeof name === 'string' ? name.trim().slice(0, 40) : '';
    if (!clean) throw new BadRequestException('Type a name to sign in.');
    // A new session id on every change of privilege: a fixated id stays anonymous.
    handle.regenerate();
    const id = createHash('sha256').update(clean.toLowerCase()).digest('base64url').slice(0, 12);
    session.user = { id: `u_${id}`, name: clean, since: Math.floor(Date.now() / 1000) };
    session.roles = clean.toLowerCase() === 'admin' ? ['customer', 'admin'] : ['customer'];
    session.visitor ??= randomUUID();
    // "Keep me signed in" ticked: the cookies get Max-Age and outlive the browser.
    if (remember === 'on') handle.remember();
  }

  @Post('logout')
  @Redirect('/', 303)
  logout(@SessionHandle() handle: SessionHandle): void {
    handle.destroy();
  }

  @Post('view-many')
  @Redirect('/', 303)
  viewMany(@Session() session: ShopSession): void {
    const last = session.recentlyViewed?.at(-1)?.id;
    const start = last === undefined ? 0 : CATALOG.findIndex((p) => p.id === last) + 1;
    for (let i = 0; i < BULK; i++) view(session, CATALOG[(start + i) % CATALOG.length]!);
  }

  @Post('view/:id')
  @Redirect('/', 303)
  viewOne(@Session() session: ShopSession, @Param('id') id: string): void {
    view(session, product(id));
  }

  @Post('cart/add-many')
  @Redirect('/', 303)
  addMany(@Session() session: ShopSession): void {
    const inCart = new Set((session.cart ?? []).map((line) => line.id));
    const fresh = CATALOG.filter((p) => !inCart.has(p.id));
    // Once every product is in the cart, more of the first ones.
    const next = fresh.length > 0 ? fresh.slice(0, BULK) : CATALOG.slice(0, BULK);
    for (const p of next) add(session, p);
  }

  @Post('cart/clear')
  @Redirect('/', 303)
  clearCart(@Session() session: ShopSession): void {
    delete session.cart;
  }

  @Post('cart/:id')
  @Redirect('/', 303)
  addOne(@Session() session: ShopSession, @Param('id') id: string): void {
    add(session, product(id));
  }

  @Post('history/clear')
  @Redirect('/', 303)
  clearHistory(@Session() session: ShopSession): void {
    delete session.recentlyViewed;
  }

  @Post('prefs')
  @Redirect('/', 303)
  savePrefs(@Session() session: ShopSession, @Body() body: Record<string, unknown>): void {
    const currency = CURRENCIES.find((c) => c === body?.currency) ?? DEFAULT_PREFS.currency;
    session.prefs = { currency, showJson: body?.showJson === '1' };
    session.visitor ??= randomUUID();
  }
}

function product(id: string): Product {
  const found = findProduct(id);
  if (!found) throw new NotFoundException(`No product ${id}.`);
  return found;
}

/** Moves the product to the newest end of the history. No cap here: the shrinker is the cap. */
function view(session: ShopSession, p: Product): void {
  session.visitor ??= randomUUID();
  const list = (session.recentlyViewed ?? []).filter((v) => v.id !== p.id);
  list.push({ id: p.id, name: p.name, price: p.price, at: Math.floor(Date.now() / 1000) });
  session.recentlyViewed = list;
}

/** One more of the product; a new line keeps a snapshot of its name and price. */
function add(session: ShopSession, p: Product): void {
  session.visitor ??= randomUUID();
  session.cart ??= [];
  const line = session.cart.find((l) => l.id === p.id);
  if (line) line.qty += 1;
  else session.cart.push({ id: p.id, qty: 1, name: p.name, price: p.price });
}
