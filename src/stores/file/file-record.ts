import { isPlainRecord } from '../store-support.js';

/** What a session file holds: `{ "expires": <ms since the epoch>, "data": { … } }`. */
export interface FileRecord {
  /** Milliseconds since the epoch after which the record is gone. */
  expires: number;
  data: Record<string, unknown>;
}

/** The file's text for a record whose data is already JSON text (see `recordToJson`). */
export function fileRecordText(expires: number, dataJson: string): string {
  return `{"expires":${JSON.stringify(expires)},"data":${dataJson}}`;
}

/** The record a file holds, or `'unreadable'` for a torn or foreign file. */
export function parseFileRecord(text: string): FileRecord | 'unreadable' {
  try {
    const parsed: unknown = JSON.parse(text);
    if (
      isPlainRecord(parsed) &&
      typeof parsed.expires === 'number' &&
      Number.isFinite(parsed.expires) &&
      isPlainRecord(parsed.data)
    ) {
      return { expires: parsed.expires, data: parsed.data };
    }
  } catch {
    // Fall through: a torn or foreign file.
  }
  return 'unreadable';
}
