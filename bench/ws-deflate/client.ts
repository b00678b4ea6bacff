/**
 * The receiving side of bench/ws-deflate: connects with or without permessage-deflate (through
 * the forwarder's own socket factory), decodes every frame as the market-data stream does and,
 * once `events` have arrived, prints its own CPU time (µs) as JSON and exits.
 *   node bench/ws-deflate/client.ts <url> <events> <deflate: true|false>
 */
import { decodeFrame } from '../../forwarder/alpaca/frame-decode.ts';
import { wsSocketFactory } from '../../forwarder/alpaca/socket.ts';

const [url, eventsArg, deflateArg] = process.argv.slice(2);
const want = Number(eventsArg);
let got = 0;
let cpu0: NodeJS.CpuUsage | null = null;
const socket = wsSocketFactory(
  url as string,
  { headers: {}, handshakeTimeoutMs: 5000, perMessageDeflate: deflateArg === 'true' },
  {
    onOpen() {
      cpu0 = process.cpuUsage();
      socket.send('go');
    },
    onMessage(data, isBinary) {
      const r = decodeFrame(data, isBinary, 'msgpack');
      if (r.ok) got += r.messages.length;
      if (got >= want) {
        const cpu = process.cpuUsage(cpu0 ?? undefined);
        console.log(JSON.stringify({ events: got, cpuUs: cpu.user + cpu.system }));
        socket.close(1000);
      }
    },
    onPong() {},
    onUpgradeRefused(status) {
      console.error(`refused ${status}`);
      process.exit(1);
    },
    onError(err) {
      console.error(err.message);
    },
    onClose() {
      process.exit(got >= want ? 0 : 1);
    },
  },
);
