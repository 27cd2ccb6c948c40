import type { CookieLimits } from './cookie-limits.js';

/**
 * The browser families whose cookie limits differ. `browserFamily()` maps a User-Agent to one.
 * The first five are the rows of the README's limits table; the old ones exist only where a
 * source gives a figure stricter than the row they would otherwise get.
 */
export type BrowserFamily =
  | 'chromium'
  | 'chromium-legacy'
  | 'firefox'
  | 'webkit'
  | 'ie'
  | 'ie-old'
  | 'opera-presto'
  | 'android-stock'
  | 'unknown';

/** One row of the table: who it covers, its limits, and where the figures come from. */
export interface BrowserTableEntry {
  /** The browsers (and User-Agent cues) the row covers, for docs and tests. */
  readonly browsers: string;
  readonly limits: Readonly<CookieLimits>;
  /** Short citation of the figures' sources. */
  readonly source: string;
}

// Every figure names its source: [src] the engine's own source file, [doc] vendor documentation
// or a specification, [meas] measured here on loopback (Chromium 156, Firefox ESR 153, Node 20),
// [old-meas] third-party measurements of old browsers.
//
// maxTotalBytes is 8000 everywhere: browsers cap little or nothing (Chromium and Firefox sent a
// 737,638-byte Cookie header [meas]), but the servers in front refuse a longer Cookie line by
// default: nginx large_client_header_buffers 4 8k, 400 "Request Header Or Cookie Too Large";
// Apache httpd LimitRequestFieldSize 8190 [doc]; RFC 6265bis: "many popular implementations have
// default limits of 8192 octets" [spec]. Node's own limit is 16 KiB for the whole block [doc][meas].

/**
 * The response side: the header block one response may carry through the proxies in front.
 * nginx (ngx_http_proxy_module, proxy_buffer_size "4k|8k", one memory page: 4096 on x86-64)
 * keeps the upstream's whole status line and headers in that buffer and answers 502 "upstream
 * sent too big header" over it [doc][meas: 3,498 bytes of Set-Cookie passed, the next step 502].
 * The others are larger, so this one binds: Apache httpd mod_proxy reads upstream headers up to
 * LimitRequestFieldSize (8190) per line [doc]; AWS Application Load Balancer 32 KB of response
 * headers [doc]; Cloudflare 32 KB in all, 16 KB per header [doc]; Fastly 69 KB and 96 header
 * fields [doc]; AWS CloudFront 20,480 bytes for an origin response's headers [doc].
 */
export const PROXY_RESPONSE_HEADER_BYTES = 4096;

const entries = {
  chromium: {
    browsers:
      'Chromium >= 100 (Chrome/ major): Chrome, Edge (Edg/), Opera (OPR/), Samsung Internet, ' +
      'Android WebView (; wv)), Brave, Vivaldi, Yandex, HeadlessChrome',
    source:
      'chromium net/cookies parsed_cookie.h, cookie_monster.cc [src]; ' + 'Chromium 156 [meas]',
    limits: {
      // parsed_cookie.h kMaxCookieNamePlusValueSize = 4096; 4096 kept, 4097 dropped [src][meas]
      maxCookieBytes: 4096,
      // name + value only; each attribute value capped apart at 1024 (kMaxCookieAttributeValueSize)
      // [src][meas]
      countsAttributes: false,
      // cookie_monster.cc kDomainMaxCookies = 180 per eTLD+1, then purged to 150 [src][meas]
      maxCookies: 180,
      // no browser cap (737,638-byte Cookie header sent [meas]); server line limit (see above)
      maxTotalBytes: 8000,
      // nginx proxy_buffer_size: one memory page (4k on x86-64) holds the upstream's whole
      // response header block, 502 over it (ngx_http_proxy_module docs [doc])
      maxResponseHeaderBytes: PROXY_RESPONSE_HEADER_BYTES,
    },
  },
  'chromium-legacy': {
    browsers: 'Chromium < 100 (Chrome/, Chromium/, CrMo/ major version below 100)',
    source:
      'old parsed_cookie.cc kMaxCookieSize [src]; blink-dev ' +
      '"Cookie size limits" intent, 2021 [doc]; Chrome 44 count [old-meas]',
    limits: {
      // old parsed_cookie.cc: a cookie line over 4096 bytes was not parsed at all [src]
      maxCookieBytes: 4096,
      // the whole line counted (name, =, value, attributes) until the 2021-22 change [doc][src]
      countsAttributes: true,
      // Chrome 44 measured 180 per domain [old-meas]
      maxCookies: 180,
      // server line limit (see above)
      maxTotalBytes: 8000,
      // nginx proxy_buffer_size: one memory page (4k on x86-64) holds the upstream's whole
      // response header block, 502 over it (ngx_http_proxy_module docs [doc])
      maxResponseHeaderBytes: PROXY_RESPONSE_HEADER_BYTES,
    },
  },
  firefox: {
    browsers: 'Firefox >= 4 with Gecko/ (desktop, Android), other Gecko browsers; not FxiOS',
    source:
      'gecko-dev netwerk/cookie CookieValidation.cpp, CookieCommons.h ' +
      '[src]; Firefox ESR 153 [meas]',
    limits: {
      // CookieValidation.cpp kMaxBytesPerCookie = 4096 on name + value; 4097 dropped [src][meas]
      maxCookieBytes: 4096,
      // CheckNameAndValueSize counts name + value; Path and Domain capped apart at 1024 [src]
      countsAttributes: false,
      // CookieCommons.h kMaxCookiesPerHost = 180 per base domain, quota 150 [src][meas]
      maxCookies: 180,
      // no browser cap (737,638-byte Cookie header sent [meas]); server line limit (see above)
      maxTotalBytes: 8000,
      // nginx proxy_buffer_size: one memory page (4k on x86-64) holds the upstream's whole
      // response header block, 502 over it (ngx_http_proxy_module docs [doc])
      maxResponseHeaderBytes: PROXY_RESPONSE_HEADER_BYTES,
    },
  },
  webkit: {
    browsers:
      'Safari (macOS, iPadOS) and every iOS browser (iPhone/iPad/iPod, CriOS, FxiOS, EdgiOS); ' +
      'Version/ + Safari/ + AppleWebKit/ without Chrome',
    source:
      'WebKit LayoutTests WPT cookies/size expectations [src]; count ' +
      'unpublished, 50 per RFC 6265 6.1 floor',
    limits: {
      // WPT name-and-value.html: 4096-byte name+value PASS, 4097 ignored PASS [src]
      maxCookieBytes: 4096,
      // WPT attributes.www.sub.html: max name/value plus >8k of attributes PASS [src]
      countsAttributes: false,
      // CFNetwork count not published or verified; RFC 6265 6.1 floor of 50 per domain [spec]
      maxCookies: 50,
      // total not verified; server line limit (see above)
      maxTotalBytes: 8000,
      // nginx proxy_buffer_size: one memory page (4k on x86-64) holds the upstream's whole
      // response header block, 502 over it (ngx_http_proxy_module docs [doc])
      maxResponseHeaderBytes: PROXY_RESPONSE_HEADER_BYTES,
    },
  },
  ie: {
    browsers: 'IE 10 and 11 (Trident/6+, MSIE 10), Edge Legacy (EdgeHTML, Edge/)',
    source:
      'Microsoft KB 941495 [doc]; IE11 5117 measured [old-meas]; ' +
      '50 because the UA cannot show the June 2018 update (see the ie row)',
    limits: {
      // KB 941495: WinINET ignores a Set-Cookie header longer than 5118 bytes [doc]
      maxCookieBytes: 5118,
      // that 5118 is the whole Set-Cookie header, attributes included [doc]
      countsAttributes: true,
      // KB 941495: 50 per domain; 180 only after the June 2018 updates, invisible in the UA [doc]
      maxCookies: 50,
      // ~10 KB per domain measured [old-meas]; the server line limit (see above) is lower
      maxTotalBytes: 8000,
      // nginx proxy_buffer_size: one memory page (4k on x86-64) holds the upstream's whole
      // response header block, 502 over it (ngx_http_proxy_module docs [doc])
      maxResponseHeaderBytes: PROXY_RESPONSE_HEADER_BYTES,
    },
  },
  'ie-old': {
    browsers: 'IE 7 and older (MSIE 7 or lower without Trident/)',
    source:
      'Microsoft KB 306070 and KB 941495 [doc]; per-cookie rule of ' +
      'the unknown row (the unknown row)',
    limits: {
      // KB 306070 4096 per cookie, ~4095 name=value measured [doc][old-meas]; 4093 meets both
      maxCookieBytes: 4093,
      // KB 941495: a Set-Cookie header over 5118 bytes is ignored, so attributes count [doc]
      countsAttributes: true,
      // KB 306070: 20 per domain; 50 only with update 937143, invisible in the UA [doc]
      maxCookies: 20,
      // not documented; server line limit (see above)
      maxTotalBytes: 8000,
      // nginx proxy_buffer_size: one memory page (4k on x86-64) holds the upstream's whole
      // response header block, 502 over it (ngx_http_proxy_module docs [doc])
      maxResponseHeaderBytes: PROXY_RESPONSE_HEADER_BYTES,
    },
  },
  'opera-presto': {
    browsers: 'Opera 12 and older, Opera Mini (Presto/, or a UA that starts with Opera/)',
    source: 'Opera 9 measurements, 2008 [old-meas]',
    limits: {
      // 4096 including name and "=" measured [old-meas]; 4093 also meets the unknown rule
      maxCookieBytes: 4093,
      // whether attributes count was not measured: count them, as for unknown (the unknown row)
      countsAttributes: true,
      // Opera 9: 30 per domain [old-meas]
      maxCookies: 30,
      // a per-domain byte limit exists, size unknown [old-meas]; server line limit (see above)
      maxTotalBytes: 8000,
      // nginx proxy_buffer_size: one memory page (4k on x86-64) holds the upstream's whole
      // response header block, 502 over it (ngx_http_proxy_module docs [doc])
      maxResponseHeaderBytes: PROXY_RESPONSE_HEADER_BYTES,
    },
  },
  'android-stock': {
    browsers: 'Android stock browser <= 4.3 (Android, Version/4.0, no Chrome/)',
    source: 'kyungw00k Android table, 2013 [old-meas]',
    limits: {
      // 4096 per cookie measured [old-meas]; 4093 also meets the unknown rule (the unknown row)
      maxCookieBytes: 4093,
      // whether attributes count was not measured: count them, as for unknown (the unknown row)
      countsAttributes: true,
      // 2.2.2 -> 41, 2.3.x -> 51, 4.0-4.2 -> 180 per domain; the family takes the lowest [old-meas]
      maxCookies: 41,
      // 2.x ~213 KB per domain [old-meas]; server line limit (see above)
      maxTotalBytes: 8000,
      // nginx proxy_buffer_size: one memory page (4k on x86-64) holds the upstream's whole
      // response header block, 502 over it (ngx_http_proxy_module docs [doc])
      maxResponseHeaderBytes: PROXY_RESPONSE_HEADER_BYTES,
    },
  },
  unknown: {
    browsers: 'missing or unrecognised User-Agent, bots, curl, IE 8-9, Firefox < 4',
    source:
      '4093 meets every per-cookie rule found (old Chromium, old Safari, ' +
      'IE, Werkzeug, RFC 6265); RFC 6265 6.1 [spec]',
    limits: {
      // smallest per-cookie figure found: old Safari 4093 [old-meas]; Werkzeug warns at 4093 [src]
      maxCookieBytes: 4093,
      // RFC 6265 6.1 counts name + value + attributes; old Chromium, IE count the line [spec][doc]
      countsAttributes: true,
      // RFC 6265 6.1 and 6265bis: at least 50 cookies per domain [spec]
      maxCookies: 50,
      // server line limit: nginx 8k, Apache 8190 (see above)
      maxTotalBytes: 8000,
      // nginx proxy_buffer_size: one memory page (4k on x86-64) holds the upstream's whole
      // response header block, 502 over it (ngx_http_proxy_module docs [doc])
      maxResponseHeaderBytes: PROXY_RESPONSE_HEADER_BYTES,
    },
  },
} satisfies Record<BrowserFamily, BrowserTableEntry>;

for (const entry of Object.values(entries)) {
  Object.freeze(entry.limits);
  Object.freeze(entry);
}

/** Cookie limits per browser family, as data. Read by `browserLimits()`; frozen. */
export const BROWSER_TABLE: Readonly<Record<BrowserFamily, BrowserTableEntry>> =
  Object.freeze(entries);

/** Every family, in table order. */
export const BROWSER_FAMILIES = Object.freeze(Object.keys(entries) as BrowserFamily[]);
