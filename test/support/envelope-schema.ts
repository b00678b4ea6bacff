import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validate } from './json-schema.ts';

const schemaPath = fileURLToPath(new URL('../../forwarder/schema/envelope.schema.json', import.meta.url));
export const envelopeSchema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;

export function envelopeErrors(value: unknown): string[] {
  return validate(envelopeSchema, value);
}
