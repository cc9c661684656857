package io.sluice.proxy.accesslog.internal;

import java.nio.ByteBuffer;

/** Standard output, written in whole buffers so that lines never interleave with other output. */
final class StdoutSink implements AccessLogSink {
  private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);

  @Override
  public void write(CharSequence line) {
    int length = Utf8.length(line);
    if (buffer.remaining() < length) flush();
    if (length > buffer.capacity()) {
      ByteBuffer big = ByteBuffer.allocate(length);
      Utf8.encode(line, big);
      System.out.write(big.array(), 0, length);
      System.out.flush();
    } else {
      Utf8.encode(line, buffer);
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
