/**
 * What a response already carries when the session is committed to it: the bytes of its header
 * block so far, the application's own `Set-Cookie` lines, and whether it goes over HTTPS. Each
 * platform measures its own response (`node-response.ts` for Node and Express).
 */
export interface ResponseHead {
  /**
   * The header block without the session's lines, in bytes as sent: the status line and every
   * header line (`Name: value` CRLF, the application's `Set-Cookie` lines included), the empty
   * line that ends the block, and the headers the platform adds itself when it writes.
   */
  headerBytes: number;
  /** The application's `Set-Cookie` lines on this response; the session never changes them. */
  setCookies: readonly string[];
  /** The request came over HTTPS (for `secure: 'auto'`). */
  secure: boolean;
}

/** `Set-Cookie: ` and the CRLF that ends the line (RFC 9112 section 5: field-line CRLF). */
export const SET_COOKIE_LINE_OVERHEAD = 'Set-Cookie: \r\n'.length;

/** One header line's bytes: `name: value` CRLF. */
export function headerLineBytes(name: string, value: string): number {
  return name.length + 4 + Buffer.byteLength(value, 'utf8');
}
