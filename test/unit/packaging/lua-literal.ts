/**
 * Writes a JSON-like value as a Lua 5.1 table constructor, the shape Argo CD hands a health script
 * as `obj` (maps become tables with string keys, lists become 1-based sequences, null is absent).
 */
export function toLuaLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as a Lua number`);
    return String(value);
  }
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) {
    if (value.some((v) => v === null || v === undefined)) {
      throw new Error('a list with null items has no Lua sequence equivalent');
    }
    return `{${value.map(toLuaLiteral).join(', ')}}`;
  }
  if (typeof value === 'object') {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `[${luaString(k)}] = ${toLuaLiteral(v)}`);
    return `{${fields.join(', ')}}`;
  }
  throw new Error(`cannot write a ${typeof value} as a Lua value`);
}

/** A double-quoted Lua string; bytes outside printable ASCII are written as decimal escapes. */
function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${String(byte).padStart(3, '0')}`;
  }
  return `${out}"`;
}
