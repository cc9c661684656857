package io.sluice.proxy.accesslog.internal;

/**
 * Where lines go. Only the writer thread calls these methods.
 */
public interface AccessLogSink {
  /** Appends one line, its newline included: {@code length} UTF-8 bytes of {@code line}; may buffer. */
  void write(byte[] line, int length);

  /** Writes out what is buffered. */
  void flush();

  /** Flushes and releases the output; later writes are dropped. */
  void close();

  /** Identifies the output: {@code stdout} or the file's absolute path. */
  String key();
}
