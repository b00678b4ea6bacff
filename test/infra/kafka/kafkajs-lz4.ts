/**
 * Registers the LZ4 codec (@2l/kafkajs-lz4, prebuilt lz4-napi) with kafkajs, which ships only
 * GZIP. Idempotent; every module that produces or consumes LZ4 with kafkajs calls it.
 */
import LZ4Module from '@2l/kafkajs-lz4';
import kafkajs from 'kafkajs';

type CodecFactory = () => {
  compress(e: { buffer: Buffer }): Promise<Buffer>;
  decompress(b: Buffer): Promise<Buffer>;
};
type CodecClass = new () => { codec: CodecFactory };

let registered = false;

/** The codec class whether the CJS module arrives as the class itself or as `{ default: class }`. */
function codecClass(): CodecClass {
  const m = LZ4Module as unknown as CodecClass | { default: CodecClass };
  return 'default' in m && typeof m.default === 'function' ? m.default : (m as CodecClass);
}

export function registerLz4(): void {
  if (registered) return;
  const Codec = codecClass();
  (kafkajs.CompressionCodecs as Record<number, CodecFactory>)[kafkajs.CompressionTypes.LZ4] =
    new Codec().codec;
  registered = true;
}
