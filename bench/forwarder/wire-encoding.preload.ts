/**
 * Preload for the forwarder child (`node --import=<this> forwarder/main.ts`): picks the Alpaca
 * wire encoding from BENCH_ALPACA_ENCODING (`msgpack` | `json`). The forwarder supports both
 * (design §4.7) but its config has no key for it yet (market-data-stream.ts defaults to msgpack),
 * so this load hook rewrites that one default in the source as it is loaded. If the line is not
 * found the child fails at start, so the benchmark never measures msgpack twice silently.
 */
import { registerHooks } from 'node:module';

const encoding = process.env.BENCH_ALPACA_ENCODING ?? 'msgpack';
if (encoding !== 'msgpack' && encoding !== 'json')
  throw new Error(`BENCH_ALPACA_ENCODING must be msgpack or json, got ${JSON.stringify(encoding)}`);
const TARGET = '/forwarder/alpaca/market-data-stream.ts';
const DEFAULT_LINE = "config.encoding ?? 'msgpack'";

registerHooks({
  load(url, context, nextLoad) {
    const result = nextLoad(url, context);
    if (!url.endsWith(TARGET)) return result;
    const source = String(result.source);
    if (!source.includes(DEFAULT_LINE))
      throw new Error(`bench preload: "${DEFAULT_LINE}" not found in ${TARGET}; update the preload`);
    return { ...result, source: source.replace(DEFAULT_LINE, `config.encoding ?? '${encoding}'`) };
  },
});
