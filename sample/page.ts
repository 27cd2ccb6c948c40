import { CATALOG, findProduct, formatPrice } from './catalog.js';
import type { CookieReport, ReportedCookie } from './cookie-report.js';
import { Html, html, num } from './html.js';
import type { ShrinkRecord } from './shrink-log.js';
import { DEFAULT_PREFS, type CartLine, type Prefs, type ShopSession } from './shop-session.js';

/** One partition of the session, described for the page. */
export interface PartitionInfo {
  cookieName: string;
  fields: string;
  where: string;
}

export interface PageModel {
  session: ShopSession;
  /** Signed in with "Keep me signed in" (`handle.isRemembered`). */
  remembered: boolean;
  report: CookieReport;
  shrink: ShrinkRecord | undefined;
  partitions: readonly PartitionInfo[];
}

/** Products with their own buttons on the page (the bulk buttons go through all of them). */
const FEATURED = CATALOG.slice(0, 6);
/** Lines of the cart and of the history listed before "and N more". */
const LISTED = 6;

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f3f4f7}
header{background:#1d2330;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px}
header h1 small{font-weight:400;color:#9fb3d9;margin-left:8px;font-size:14px}
header p{margin:4px 0 0;color:#c9d3e6;max-width:70em}
main{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1.15fr);gap:16px;padding:16px 24px}
.card{background:#fff;border:1px solid #dde1ea;border-radius:8px;padding:12px 16px;margin-bottom:16px}
h2{font-size:15px;margin:0 0 8px}
h2 .count{font-weight:400;color:#5b6478}
form{display:inline}
button{font:inherit;padding:5px 10px;border:1px solid #3d5afe;background:#3d5afe;color:#fff;border-radius:5px;cursor:pointer;margin:2px 4px 2px 0}
button.quiet{background:#fff;color:#3d5afe}
input,select{font:inherit;padding:4px 6px;border:1px solid #c4c9d6;border-radius:4px}
table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:3px 6px;border-bottom:1px solid #eef0f4;vertical-align:middle}
th{color:#5b6478;font-weight:500;font-size:12px}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.hint{color:#5b6478;font-size:13px;margin:6px 0 0}
.bar{height:8px;background:#e8ebf2;border-radius:4px;overflow:hidden;min-width:80px}
.bar i{display:block;height:100%;background:#3d5afe}
.bar i.high{background:#e8590c}
.meter{display:grid;grid-template-columns:11em 1fr 12em;gap:8px;align-items:center;margin:4px 0}
.meter b{font-variant-numeric:tabular-nums;text-align:right;font-weight:500}
.tag{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px;background:#e8ebf2;color:#39415a}
.tag.other{background:#fff3cd;color:#6b5200}
.shrink{border-left:4px solid #e8590c}
.shrink.none{border-left-color:#2f9e44}
pre{margin:0;max-height:360px;overflow:auto;background:#f7f8fb;border:1px solid #eef0f4;border-radius:6px;padding:8px;font-size:12px;line-height:1.35}
.muted{color:#5b6478}
`;

export function renderPage(model: PageModel): string {
  const { session } = model;
  const prefs: Prefs = { ...DEFAULT_PREFS, ...session.prefs };
  return page(
    'Sample shop — nestjs-chunked-session',
    html` <header>
        <h1>Sample shop <small>nestjs-chunked-session</small></h1>
        <p>
          Everything this shop remembers about you lives in sealed cookies: the cart and the history
          in the <code>shop</code> cookies, split into <code>shop</code>, <code>shop.1</code>, … as
          they grow, and shrunk by the shop's policies before they outgrow your browser's limits.
          Click the buttons and watch the right-hand side.
        </p>
      </header>
      <main>
        <section>
          ${accountCard(session, model.remembered)} ${actionsCard()}
          ${cartCard(session.cart ?? [], prefs)} ${historyCard(session, prefs)}
          ${catalogCard(prefs)} ${prefsCard(prefs)}
        </section>
        <section>
          ${cookiesCard(model.report)} ${shrinkCard(model.shrink)}
          ${prefs.showJson ? sessionCard(session) : ''} ${partitionsCard(model.partitions)}
        </section>
      </main>`,
  );
}

/** The page of `/account`, which a guard protects. */
export function renderAccount(session: ShopSession): string {
  const user = session.user!;
  return page(
    'Your account — sample shop',
    html` <header>
        <h1>Your account <small>nestjs-chunked-session sample</small></h1>
        <p>
          This route is protected by a guard that reads the session: guards run before interceptors,
          so the library loads the session in a middleware.
        </p>
      </header>
      <main>
        <section>
          <div class="card">
            <h2>Signed in as <span data-test="account-name">${user.name}</span></h2>
            <p>
              User id <code>${user.id}</code>, roles
              <span data-test="account-roles">${(session.roles ?? []).join(', ')}</span>, signed in
              at ${new Date(user.since * 1000).toISOString()}.
            </p>
            <p class="hint">
              These fields live in the <code>sid</code> partition's store; the browser holds only a
              sealed, random id for them.
            </p>
            <p><a href="/">Back to the shop</a></p>
          </div>
        </section>
      </main>`,
  );
}

/** An error page (the guard's 401, a bad form). */
export function renderError(status: number, message: string): string {
  return page(
    `${status} — sample shop`,
    html` <header>
        <h1>${status} <small>nestjs-chunked-session sample</small></h1>
      </header>
      <main>
        <section>
          <div class="card">
            <h2 data-test="error">${message}</h2>
            <p><a href="/">Back to the shop</a></p>
          </div>
        </section>
      </main>`,
  );
}

function page(title: string, body: Html): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <style>
          ${new Html(STYLE)}
        </style>
      </head>
      <body>
        ${body}
      </body>
    </html>`.text;
}

function post(action: string, label: string, quiet = false, fields: Html | string = ''): Html {
  return html`<form method="post" action="${action}">${fields}<button${new Html(quiet ? ' class="quiet"' : '')} type="submit">${label}</button></form>`;
}

function accountCard(session: ShopSession, remembered: boolean): Html {
  if (session.user) {
    return html`<div class="card" id="account">
      <h2>
        Signed in as <span data-test="user">${session.user.name}</span>
        <span class="count">· roles: ${(session.roles ?? []).join(', ')}</span>
      </h2>
      <p data-test="remembered">
        ${
          remembered
            ? 'Kept signed in: the cookies carry Max-Age and outlive a browser restart.'
            : 'Signed in until the browser closes.'
        }
      </p>
      <a href="/account">Your account</a> (a guarded page) &nbsp;
      ${post('/logout', 'Log out', true)}
      <p class="hint">
        Signing in called <code>regenerate()</code> (a new store id); logging out calls
        <code>destroy()</code>, which deletes every cookie of the session and its store record.
      </p>
    </div>`;
  }
  return html`<div class="card" id="account">
    <h2 data-test="user-none">Not signed in</h2>
    <form method="post" action="/login">
      <input name="name" placeholder="any name, e.g. alice" required maxlength="40" />
      <label
        ><input type="checkbox" name="remember" data-test="remember" /> Keep me signed in</label
      >
      <button type="submit">Sign in</button>
    </form>
    <p class="hint">
      No password: this is a demo. The name and roles go to the <code>sid</code> partition, kept on
      the server. <a href="/account">Your account</a> is guarded.
    </p>
  </div>`;
}

function actionsCard(): Html {
  return html`<div class="card" id="actions">
    <h2>Make the session grow</h2>
    ${post('/view-many', 'View 10 products')}
    ${post('/cart/add-many', 'Add 10 products to the cart')}
    ${post('/cart/clear', 'Empty the cart', true)}
    ${post('/history/clear', 'Forget the history', true)}
    <p class="hint">
      Each button is a form: a POST that changes the session, then a redirect back here. The
      right-hand side shows the cookies your browser sent with this page's request, i.e. what it
      holds now. Past about 4 KB the <code>shop</code> cookie splits; past the total the
      <code>@Shrinker</code> policies run — the history first, then the cart's snapshots.
    </p>
  </div>`;
}

function cartCard(cart: CartLine[], prefs: Prefs): Html {
  const items = cart.reduce((sum, line) => sum + line.qty, 0);
  const total = cart.reduce(
    (sum, line) => sum + line.qty * (line.price ?? findProduct(line.id)?.price ?? 0),
    0,
  );
  const compacted = cart.filter((line) => line.name === undefined).length;
  const rows = cart
    .slice(-LISTED)
    .reverse()
    .map((line) => {
      const product = findProduct(line.id);
      return html`<tr>
        <td>
          ${line.name ?? product?.name ?? line.id}${line.name === undefined ? html` <span class="tag">compacted</span>` : ''}
        </td>
        <td class="n">× ${line.qty}</td>
        <td class="n">${formatPrice(line.price ?? product?.price ?? 0, prefs.currency)}</td>
      </tr>`;
    });
  return html`<div class="card" id="cart">
    <h2>
      Cart <span class="count"><span data-test="cart-count">${cart.length}</span> lines</span>
      <span class="count"
        >· ${items} items ·
        ${formatPrice(total, prefs.currency)}${compacted ? ` · ${compacted} compacted by the shrinker` : ''}</span
      >
    </h2>
    ${
      cart.length
        ? html`<table>
              ${rows}
            </table>
            ${cart.length > LISTED ? html`<p class="hint">… and ${cart.length - LISTED} more (newest first).</p>` : ''}`
        : html`<p class="muted">Empty.</p>`
    }
  </div>`;
}

function historyCard(session: ShopSession, prefs: Prefs): Html {
  const list = session.recentlyViewed ?? [];
  const shown = list.slice(-LISTED).reverse();
  return html`<div class="card" id="history">
    <h2>
      Recently viewed
      <span class="count"><span data-test="history-count">${list.length}</span> products</span>
    </h2>
    ${
      list.length
        ? html`<table>
              ${shown.map(
                (v) =>
                  html`<tr>
                    <td>${v.name}</td>
                    <td class="n">${formatPrice(v.price, prefs.currency)}</td>
                    <td class="n muted">
                      ${new Date(v.at * 1000).toISOString().slice(11, 19)} UTC
                    </td>
                  </tr>`,
              )}
            </table>
            ${list.length > LISTED ? html`<p class="hint">… and ${list.length - LISTED} older.</p>` : ''}`
        : html`<p class="muted">Nothing yet.</p>`
    }
  </div>`;
}

function catalogCard(prefs: Prefs): Html {
  return html`<div class="card" id="catalog">
    <h2>Products <span class="count">· ${CATALOG.length} in the catalog, a few shown</span></h2>
    <table>
      ${FEATURED.map(
        (p) =>
          html`<tr>
            <td>${p.name}</td>
            <td class="n">${formatPrice(p.price, prefs.currency)}</td>
            <td class="n">${post(`/view/${p.id}`, 'View', true)}${post(`/cart/${p.id}`, 'Add')}</td>
          </tr>`,
      )}
    </table>
  </div>`;
}

function prefsCard(prefs: Prefs): Html {
  const option = (c: string) =>
    html`<option${new Html(prefs.currency === c ? ' selected' : '')}>${c}</option>`;
  return html`<div class="card" id="prefs">
    <h2>
      Preferences <span class="count">· partition <code>prefs</code>, its own cookie</span>
    </h2>
    <form method="post" action="/prefs">
      Currency
      <select name="currency">
        ${['EUR', 'USD', 'GBP'].map(option)}
      </select>
      <label
        ><input
          type="checkbox"
          name="showJson"
          value="1"
          ${new Html(prefs.showJson ? ' checked' : '')}
        />
        show the session JSON</label
      >
      <button type="submit" class="quiet">Save</button>
    </form>
  </div>`;
}

function meter(label: string, value: number, max: number, unit: string, test: string): Html {
  const ratio = max > 0 ? Math.min(1, value / max) : 0;
  return html`<div class="meter">
    <span>${label}</span>
    <div class="bar">
      <i class="${ratio > 0.9 ? 'high' : ''}" style="width:${(ratio * 100).toFixed(1)}%"></i>
    </div>
    <b><span data-test="${test}">${num(value)}</span> of ${num(max)}${unit}</b>
  </div>`;
}

function cookieRow(cookie: ReportedCookie, maxCookieBytes: number): Html {
  const owner =
    cookie.partition === undefined
      ? html`<span class="tag other">not the session's</span>`
      : html`<span class="tag"
          >${cookie.partition}${cookie.chunk ? ` · chunk ${cookie.chunk + 1}` : cookie.chunks ? ` · chunk 1 of ${cookie.chunks}` : ''}</span
        >`;
  const ratio = Math.min(1, cookie.bytes / maxCookieBytes);
  return html`<tr data-test="cookie">
    <td><code data-test="cookie-name">${cookie.name}</code></td>
    <td>${owner}</td>
    <td class="n"><span data-test="cookie-bytes">${num(cookie.bytes)}</span> B</td>
    <td style="width:30%">
      <div class="bar">
        <i class="${ratio > 0.9 ? 'high' : ''}" style="width:${(ratio * 100).toFixed(1)}%"></i>
      </div>
    </td>
  </tr>`;
}

function cookiesCard(report: CookieReport): Html {
  const { limits } = report;
  const perCookie = limits.countsAttributes ? 'name, value and attributes' : 'name + value';
  return html`<div class="card" id="cookies">
    <h2>Cookies your browser holds <span class="count">· sent with this request</span></h2>
    ${meter('Cookie header', report.headerBytes, limits.maxTotalBytes, ' bytes', 'header-bytes')}
    ${meter('Cookies', report.cookies.length, limits.maxCookies, '', 'cookie-count')}
    ${meter('Largest cookie', report.largestBytes, limits.maxCookieBytes, ' bytes', 'largest-bytes')}
    ${
      report.cookies.length
        ? html`<table>
            <tr>
              <th>name</th>
              <th>belongs to</th>
              <th class="n">name + value</th>
              <th></th>
            </tr>
            ${report.cookies.map((c) => cookieRow(c, limits.maxCookieBytes))}
          </table>`
        : html`<p class="muted" data-test="no-cookies">
            Your browser holds no cookie for this site.
          </p>`
    }
    <p class="hint">
      Limits for your browser, from <code>browserLimits(userAgent)</code>:
      <span data-test="limits"
        >${num(limits.maxCookieBytes)} bytes per cookie (${perCookie}), ${num(limits.maxCookies)}
        cookies, ${num(limits.maxTotalBytes)} bytes of Cookie header</span
      >
      — the last is the servers' limit (nginx, Apache), not the browser's. User-Agent:
      <code>${truncate(report.userAgent ?? '(none)', 110)}</code>
    </p>
  </div>`;
}

function shrinkCard(record: ShrinkRecord | undefined): Html {
  if (!record) {
    return html`<div class="card shrink none" id="shrink">
      <h2>Last shrink</h2>
      <p data-test="shrink-none">Nothing has had to shrink yet.</p>
    </div>`;
  }
  const { event } = record;
  const keys = (list: string[]) => (list.length ? html`<code>${list.join(', ')}</code>` : 'none');
  return html`<div class="card shrink" id="shrink">
    <h2>
      Last shrink
      <span class="count" data-test="shrink-when"
        >· ${record.at.toISOString().slice(11, 19)} UTC, ${record.request}</span
      >
    </h2>
    <p data-test="shrink-event">
      The <code>${event.cookieName}</code> cookies would have taken
      <b data-test="shrink-before">${num(event.bytesBefore)}</b> bytes, more than your browser's
      limits leave them; after shrinking they take
      <b data-test="shrink-after">${num(event.bytesAfter)}</b> bytes.<br />
      Shrunk: <span data-test="shrunk-keys">${keys(event.shrunkKeys)}</span>. Removed:
      <span data-test="removed-keys">${keys(event.removedKeys)}</span>.
    </p>
    <p class="hint">Reported by the module's <code>onShrink</code> option.</p>
  </div>`;
}

function sessionCard(session: ShopSession): Html {
  const json = JSON.stringify(session);
  return html`<div class="card" id="session">
    <h2>
      The session as the handler sees it
      <span class="count">· ${num(Buffer.byteLength(json))} bytes of JSON</span>
    </h2>
    <pre data-test="session-json">${formatJson(session)}</pre>
  </div>`;
}

function partitionsCard(partitions: readonly PartitionInfo[]): Html {
  return html`<div class="card" id="partitions">
    <h2>Where each field lives</h2>
    <table>
      <tr>
        <th>cookie</th>
        <th>fields</th>
        <th>kept in</th>
      </tr>
      ${partitions.map(
        (p) =>
          html`<tr>
            <td><code>${p.cookieName}</code></td>
            <td>${p.fields}</td>
            <td>${p.where}</td>
          </tr>`,
      )}
    </table>
    <p class="hint">
      Every cookie is sealed with AES-256-GCM: your browser cannot read or change it. Only the
      partitions whose data changed are written on a response.
    </p>
  </div>`;
}

/** The session's JSON with one line per field, and one line per element of an array of objects. */
function formatJson(session: ShopSession): string {
  const entries = Object.entries(session);
  if (entries.length === 0) return '{}';
  const lines = entries.map(([key, value]) => {
    const name = JSON.stringify(key);
    if (Array.isArray(value) && value.some((v) => typeof v === 'object' && v !== null)) {
      return `  ${name}: [\n${value.map((v) => `    ${JSON.stringify(v)}`).join(',\n')}\n  ]`;
    }
    return `  ${name}: ${JSON.stringify(value)}`;
  });
  return `{\n${lines.join(',\n')}\n}`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
