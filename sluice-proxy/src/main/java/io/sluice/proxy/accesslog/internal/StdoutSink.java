package io.sluice.proxy.accesslog.internal;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

/** Standard output, written in whole buffers so that lines never interleave with other output. */
final class StdoutSink implements AccessLogSink {
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(64 * 1024);

  @Override
  public void write(byte[] line) {
    buffer.write(line, 0, line.length);
    if (buffer.size() >= 64 * 1024) flush();
  }

  @Override
  public void flush() {
    if (buffer.size() == 0) return;
    PrintStream out = System.out;
    out.write(buffer.toByteArray(), 0, buffer.size());
    out.flush();
    buffer.reset();
  }

  @Override
  public void close() {
    flush();
  }

  @Override
  public String key() {
    return "stdout";
  }
}
