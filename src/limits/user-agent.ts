import type { BrowserFamily } from './browser-table.js';

// User-Agent cues: the tokens each engine's own UA string carries (Chromium `Chrome/`, Edge
// `Edg/`, EdgeHTML `Edge/`, IE `Trident/` and `MSIE`, Gecko `Firefox/` with `Gecko/`, WebKit
// `Version/… Safari/`), and App Store Review Guideline 2.5.6 for iOS. Every pattern is linear
// (no nested quantifiers), so a hostile User-Agent costs one pass per pattern.

/** Crawlers and tools: a `name-bot/` token, crawler/spider words, or a `+http` contact URL. */
const BOT = /bot\/|crawler|spider|\+https?:\/\//i;
/** Every iOS browser uses WebKit (App Store Review Guideline 2.5.6). */
const IOS = /\((?:iPhone|iPad|iPod)\b|\b(?:CriOS|FxiOS|EdgiOS|OPiOS)\//;
/** EdgeHTML. Chromium Edge writes `Edg/`, `EdgA/`, `EdgiOS/`. */
const EDGE_LEGACY = /\bEdge\/\d/;
const TRIDENT = /\bTrident\/(\d+)/;
const MSIE = /\bMSIE (\d+)/;
const PRESTO = /\bPresto\/|^Opera\//;
const FIREFOX = /\bFirefox\/(\d+)/;
const GECKO = /\bGecko\//;
/** `HeadlessChrome/` has no word boundary before `Chrome/`, so it is named. `CrMo/`: Chrome 18. */
const CHROMIUM = /(?:HeadlessChrome|Chrome|Chromium|CrMo)\/(\d+)/;
const ANDROID = /\bAndroid\b/;
const VERSION = /\bVersion\/\d/;
const SAFARI = /\bSafari\//;
const APPLE_WEBKIT = /\bAppleWebKit\//;

/** Trident/6 is IE 10, Trident/7 IE 11 (also in compatibility view, where MSIE says 7). */
const TRIDENT_IE10 = 6;
/** IE 8 and 9 have their own Trident token, so a bare MSIE of 8 or more is IE 10+ or odd. */
const MSIE_OLD_MAX = 7;
const MSIE_IE10 = 10;
/** Firefox 3.6 and older kept 50 cookies per host (old nsCookieService.cpp; Mozilla wiki "Firefox 4 Cookie Security Review"). */
const FIREFOX_MIN = 4;
/** Chromium counts name + value only since about 2022 (blink-dev "Cookie size limits"); older builds count the line. */
const CHROMIUM_NAME_VALUE_SINCE = 100;

function major(match: RegExpExecArray | null): number {
  return match ? Number(match[1]) : Number.NaN;
}

/**
 * The browser family whose cookie limits apply to `userAgent`. The first matching rule wins:
 * bots, then iOS (whatever the browser), Edge Legacy before Chromium (its UA also says Chrome),
 * IE, Opera Presto, Firefox, Chromium, the Android stock browser, Safari. Anything else,
 * missing or empty is `'unknown'`.
 */
export function browserFamily(userAgent: string | undefined): BrowserFamily {
  if (!userAgent || BOT.test(userAgent)) return 'unknown';
  if (IOS.test(userAgent)) return 'webkit';
  if (EDGE_LEGACY.test(userAgent)) return 'ie';

  const trident = major(TRIDENT.exec(userAgent));
  if (trident >= TRIDENT_IE10) return 'ie';
  if (trident > 0) return 'unknown'; // IE 8 and 9: 50 cookies, the unknown row fits them.
  const msie = major(MSIE.exec(userAgent));
  if (msie >= MSIE_IE10) return 'ie';
  if (msie <= MSIE_OLD_MAX) return 'ie-old';
  if (msie > 0) return 'unknown';

  if (PRESTO.test(userAgent)) return 'opera-presto';

  const firefox = major(FIREFOX.exec(userAgent));
  if (firefox >= 0 && GECKO.test(userAgent)) {
    return firefox >= FIREFOX_MIN ? 'firefox' : 'unknown';
  }

  const chromium = major(CHROMIUM.exec(userAgent));
  if (chromium >= CHROMIUM_NAME_VALUE_SINCE) return 'chromium';
  if (chromium >= 0) return 'chromium-legacy';

  if (!APPLE_WEBKIT.test(userAgent) || !VERSION.test(userAgent)) return 'unknown';
  if (ANDROID.test(userAgent)) return 'android-stock';
  if (SAFARI.test(userAgent)) return 'webkit';
  return 'unknown';
}
