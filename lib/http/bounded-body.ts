/**
 * A fetch Response body as text, refused (and cancelled) once it passes a byte bound: by its
 * declared Content-Length before reading, else while reading. The one bounded reader of the
 * Alpaca REST client, the symbolsFrom poller and the operator's readiness probe.
 */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super(`body larger than ${maxBytes} bytes`);
    this.maxBytes = maxBytes;
  }
}

export async function readBoundedText(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new BodyTooLargeError(maxBytes);
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}
