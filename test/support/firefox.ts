/**
 * Debian's Firefox ESR driven by puppeteer-core over WebDriver BiDi, for the browser tests.
 * puppeteer-core downloads no browser: it starts `/usr/bin/firefox-esr` headless with a fresh
 * profile directory. When Firefox is not installed the tests SKIP with a printed notice when run
 * by hand and FAIL in CI (`CI=true`), as chromium.ts does.
 *
 * Nothing leaves the machine: on top of the preferences puppeteer writes into every profile
 * (no updates, no safe browsing, no health report; @puppeteer/browsers
 * `lib/esm/browser-data/firefox.js`, `defaultProfilePreferences`), FIREFOX_PREFS switches off
 * telemetry, captive-portal and connectivity checks, remote settings, DNS over HTTPS, prefetching
 * and studies, and sends every request that is not for loopback to a proxy that is a local sink:
 * a TCP server of the harness that answers nothing and records what tried to reach it
 * (`strayRequests`), so a test can prove that nothing did.
 *
 * Install it with: apt-get update && apt-get install -y firefox-esr
 */
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from '@jest/globals';
import puppeteer, { type Browser } from 'puppeteer-core';
import { describeMissing } from './require-server.js';
import { fromPuppeteer, type BrowserUnderTest } from './real-browser.js';

/** Where Debian puts it; `FIREFOX_PATH` overrides. */
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/**
 * Preferences that keep a test profile off the network (names from Firefox's
 * `modules/libpref/init/all.js`, `browser/app/profile/firefox.js` and
 * `toolkit/components/telemetry/docs/internals/preferences.rst`).
 */
export const FIREFOX_PREFS: Readonly<Record<string, string | number | boolean>> = Object.freeze({
  // Updates of the browser, add-ons, search engines, system add-ons and plug-ins.
  'app.update.enabled': false,
  'app.update.auto': false,
  'app.update.staging.enabled': false,
  'app.update.url': '',
  'extensions.systemAddon.update.enabled': false,
  'extensions.systemAddon.update.url': '',
  'extensions.blocklist.enabled': false,
  'extensions.getAddons.showPane': false,
  'extensions.htmlaboutaddons.recommendations.enabled': false,
  'browser.search.update': false,
  'media.gmp-manager.url': '',
  'media.gmp-gmpopenh264.enabled': false,
  'media.gmp-widevinecdm.enabled': false,
  // Telemetry, health report, crash reports, studies, experiments.
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': '',
  'toolkit.telemetry.newProfilePing.enabled': false,
  'toolkit.telemetry.shutdownPingSender.enabled': false,
  'toolkit.telemetry.updatePing.enabled': false,
  'toolkit.telemetry.bhrPing.enabled': false,
  'toolkit.telemetry.firstShutdownPing.enabled': false,
  'toolkit.coverage.opt-out': true,
  'toolkit.coverage.endpoint.base': '',
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.usage.uploadEnabled': false,
  'browser.crashReports.unsubmittedCheck.autoSubmit2': false,
  'app.shield.optoutstudies.enabled': false,
  'app.normandy.enabled': false,
  'app.normandy.api_url': '',
  'messaging-system.rsexperimentloader.enabled': false,
  'browser.discovery.enabled': false,
  'browser.ping-centre.telemetry': false,
  'browser.newtabpage.activity-stream.feeds.telemetry': false,
  'browser.newtabpage.activity-stream.telemetry': false,
  'browser.newtabpage.activity-stream.feeds.section.topstories': false,
  'browser.newtabpage.activity-stream.feeds.topsites': false,
  'browser.topsites.contile.enabled': false,
  // Captive portal and connectivity checks.
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'captivedetect.canonicalURL': '',
  // Safe browsing lists (puppeteer turns the checks off; this stops the list downloads).
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.google4.gethashURL': '',
  'browser.safebrowsing.provider.google.updateURL': '',
  'browser.safebrowsing.provider.google.gethashURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'browser.safebrowsing.provider.mozilla.gethashURL': '',
  // Remote settings, region and geolocation look-ups, accounts and sync.
  'services.settings.server': 'http://127.0.0.1:9/',
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'geo.provider.network.url': '',
  'geo.enabled': false,
  'identity.fxaccounts.enabled': false,
  'services.sync.engine.addons': false,
  // Speculative and background connections: no DNS over HTTPS, no prefetch, no predictor.
  'network.trr.mode': 5,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.predictor.enabled': false,
  'network.http.speculative-parallel-limit': 0,
  'browser.places.speculativeConnect.enabled': false,
  'browser.urlbar.speculativeConnect.enabled': false,
  'browser.send_pings': false,
  'network.http.http3.enable': false,
});

/** The proxy preferences that send every request not for loopback to `127.0.0.1:port`. */
export function sinkProxyPrefs(port: number): Record<string, string | number | boolean> {
  return {
    'network.proxy.type': 1, // manual
    'network.proxy.http': '127.0.0.1',
    'network.proxy.http_port': port,
    'network.proxy.ssl': '127.0.0.1',
    'network.proxy.ssl_port': port,
    'network.proxy.socks_remote_dns': true,
    'network.proxy.no_proxies_on': 'localhost, 127.0.0.0/8, ::1',
    'network.proxy.allow_hijacking_localhost': false,
  };
}

export function hasFirefox(): boolean {
  try {
    accessSync(FIREFOX_PATH, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface RunningFirefox {
  /** The same small API as a Chromium launched by real-browser.ts. */
  context: BrowserUnderTest;
  /** puppeteer's own handle, for what the common API does not cover. */
  browser: Browser;
  /** The first bytes of every connection that tried to leave the machine (should stay empty). */
  strayRequests: string[];
  /** Closes the browser, removes its profile and stops the sink. */
  close(): Promise<void>;
}

/** A local TCP server that records the first line of every connection and then closes it. */
async function startSink(): Promise<{ server: Server; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((socket) => {
    let first = '';
    socket.on('data', (data) => {
      first += data.toString('latin1');
      const end = first.indexOf('\r\n');
      if (end !== -1 || first.length > 200) {
        seen.push(first.slice(0, end === -1 ? 200 : end));
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (first === '') seen.push('(connection with no request line)');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

/** Firefox headless with a fresh profile in a new temporary directory. */
export async function launchFirefox(): Promise<RunningFirefox> {
  const profile = await mkdtemp(join(tmpdir(), 'chunked-session-firefox-'));
  const sink = await startSink();
  const stopSink = () => new Promise<void>((resolve) => sink.server.close(() => resolve()));
  try {
    const browser = await puppeteer.launch({
      browser: 'firefox',
      protocol: 'webDriverBiDi',
      executablePath: FIREFOX_PATH,
      headless: true,
      userDataDir: profile,
      extraPrefsFirefox: { ...FIREFOX_PREFS, ...sinkProxyPrefs(sink.port) },
      // Release builds ignore `services.settings.server` unless this variable is set: without it
      // Firefox fetches remote settings from Mozilla at start-up (the sink saw it do so).
      env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: '1', MOZ_REMOTE_SETTINGS_DEVTOOLS: '1' },
    });
    return {
      context: fromPuppeteer(browser, 'firefox'),
      browser,
      strayRequests: sink.seen,
      close: async () => {
        await browser.close();
        await rm(profile, { recursive: true, force: true });
        await stopSink();
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    await stopSink();
    throw error;
  }
}

/** Defines `body` under `title` when Firefox is installed; otherwise skips (by hand) or fails (CI). */
export function describeWithFirefox(title: string, body: () => void): void {
  if (hasFirefox()) {
    describe(title, body);
    return;
  }
  describeMissing(
    title,
    `Firefox is not installed at ${FIREFOX_PATH}. Install it with: apt-get update && apt-get install -y firefox-esr (or set FIREFOX_PATH)`,
    body,
  );
}
