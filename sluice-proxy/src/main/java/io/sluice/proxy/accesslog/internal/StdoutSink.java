package io.sluice.proxy.accesslog.internal;

import java.nio.ByteBuffer;

/** Standard output, written in whole buffers so that lines never interleave with other output. */
final class StdoutSink implements AccessLogSink {
  private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);

  @Override
  public void write(byte[] line, int length) {
    if (buffer.remaining() < length) flush();
    if (length > buffer.capacity()) {
      System.out.write(line, 0, length);
      System.out.flush();
    } else {
      buffer.put(line, 0, length);
    }
  }

  @Override
  public void flush() {
    if (buffer.position() == 0) return;
    System.out.write(buffer.array(), 0, buffer.position());
    System.out.flush();
    buffer.clear();
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
