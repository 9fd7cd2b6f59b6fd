/** The Parquet codecs a table may use (`hoodie.parquet.compression.codec`). */
export const COMPRESSION_CODECS = ['snappy', 'zstd', 'gzip', 'uncompressed'] as const;
export type CompressionCodec = (typeof COMPRESSION_CODECS)[number];
