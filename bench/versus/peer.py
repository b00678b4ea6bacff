"""The Python peer (issue 10 variant d): alpaca-py's StockDataStream + confluent-kafka
(acks=all, enable.idempotence, lz4, linger.ms 30, key = symbol), raw_data mode, the same
envelope fields as the limit script. Env as bench/versus/limit-child.ts. Logs to stderr at INFO
so authentication and subscription show (alpaca-py prints nothing otherwise)."""
import datetime
import json
import logging
import os
import signal
import sys

from alpaca.data.enums import DataFeed
from alpaca.data.live import StockDataStream
from confluent_kafka import Producer

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="peer %(levelname)s %(message)s")
e = os.environ
producer = Producer({
    "bootstrap.servers": e["BOOTSTRAP"],
    "acks": "all",
    "enable.idempotence": True,
    "compression.type": "lz4",
    "linger.ms": 30,
    "queue.buffering.max.kbytes": 65536,
})
symbols = e["SYMBOLS"].split(",")
CHANNEL = {"t": "trades", "q": "quotes", "b": "bars", "u": "updated_bars"}
TOPIC = {"t": e["TOPIC_TRADES"], "q": e["TOPIC_QUOTES"], "b": e["TOPIC_BARS"], "u": e["TOPIC_BARS"]}
seq = 0


def rfc3339(ts):
    ns = ts.to_unix_nano()
    s, n = divmod(ns, 1_000_000_000)
    return datetime.datetime.fromtimestamp(s, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{n:09d}Z"


async def handle(msg):
    global seq
    T = msg["T"]
    msg["t"] = rfc3339(msg["t"])
    seq += 1
    value = json.dumps({
        "schema_version": 1,
        "ingest_ts": datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z"),
        "event_ts": msg["t"],
        "channel": CHANNEL[T],
        "symbol": msg["S"],
        "seq": seq,
        "payload": msg,
    }, separators=(",", ":"))
    while True:
        try:
            producer.produce(TOPIC[T], value=value, key=msg["S"])
            break
        except BufferError:
            producer.poll(0.01)
    producer.poll(0)


stream = StockDataStream(e["KEY_ID"], e["SECRET"], raw_data=True, feed=DataFeed.SIP,
                         url_override=e["STREAM_URL"], websocket_params={"compression": None})
stream.subscribe_trades(handle, *symbols)
stream.subscribe_quotes(handle, *symbols)
stream.subscribe_bars(handle, *symbols)
stream.subscribe_updated_bars(handle, *symbols)


def stop(*_):
    stream.stop()
    producer.flush(20)
    os._exit(0)


signal.signal(signal.SIGTERM, stop)
stream.run()
