/** A pino logger that drops every line: for tests that need a Logger but assert nothing on it. */
import { pino } from 'pino';

export const silentLogger = pino({ level: 'silent' });
