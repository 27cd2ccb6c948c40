export type { CookieLimits } from './cookie-limits.js';
export { browserLimits, resolveLimits } from './browser-limits.js';
export { browserFamily } from './user-agent.js';
export { BROWSER_FAMILIES, BROWSER_TABLE } from './browser-table.js';
export type { BrowserFamily, BrowserTableEntry } from './browser-table.js';
