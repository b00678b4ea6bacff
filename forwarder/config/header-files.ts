/**
 * symbolsFrom request headers from a directory of files (design §3.1): each file's name is a
 * header name, its content the value (a trailing newline dropped). The operator mounts the
 * Secret keys of spec.symbolsFrom.headersFrom there; Kubernetes' own entries (`..data` and the
 * timestamped directories of an atomic Secret volume) start with a dot and are skipped. Read for
 * every poll, so a rotated Secret applies at the next poll. Errors name the file, never a value.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadersError } from './symbols-source.ts';

/** RFC 9110 token. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
/** Visible ASCII, space and tab (no CR, LF, NUL: no header injection). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const MAX_VALUE_BYTES = 8 * 1024;

export async function readHeaderDir(dir: string): Promise<Record<string, string>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new HeadersError(
      `headers directory unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const headers: Record<string, string> = {};
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    if (!HEADER_NAME.test(name))
      throw new HeadersError(`header file ${JSON.stringify(name)} is not a header name`);
    let value: string;
    try {
      value = await readFile(join(dir, name), 'latin1');
    } catch (err) {
      throw new HeadersError(`header ${name} unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    value = value.replace(/\r?\n$/, '');
    if (value.length > MAX_VALUE_BYTES || !HEADER_VALUE.test(value) || value === '')
      throw new HeadersError(`header ${name}: value empty, too long or with control characters`);
    headers[name] = value;
  }
  return headers;
}
