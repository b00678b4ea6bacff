/** Public surface of the Alpaca simulator (see README.md). */
export type { Account, AccountInput, AccountPlan } from './accounts.ts';
export { FREE_PLAN, PAID_PLAN } from './accounts.ts';
export { type CalendarRow, calendarRows } from './calendar.ts';
export type { SimClock, TimerHandle } from './clock.ts';
export { ManualClock, systemClock } from './clock.ts';
export type { Encoding } from './codec.ts';
export type { GenerateOptions, Generator } from './generator.ts';
export type { CloseHow, ConnectionRecord, LogEvent, SimLog } from './log.ts';
export type { Message } from './market-data.ts';
export type { SimOptions, SimOptionsInput } from './options.ts';
export { ERRORS, type StockFeed } from './protocol.ts';
export type { PushOptions, SimUrls } from './server.ts';
export { AlpacaSim, startAlpacaSim } from './server.ts';
export { SimTime } from './sim-time.ts';
export { tradeUpdate } from './trade-updates.ts';
