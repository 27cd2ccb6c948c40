import type { PartitionInfo } from './page.js';
import type { ShrinkLog } from './shrink-log.js';

/** What the shop's controller needs to know about how the sample was started. */
export interface SampleConfig {
  partitions: readonly PartitionInfo[];
  shrinkLog: ShrinkLog;
}

export const SAMPLE_CONFIG = Symbol('SAMPLE_CONFIG');
