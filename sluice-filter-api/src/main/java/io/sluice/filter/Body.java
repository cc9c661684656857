package io.sluice.filter;

import java.nio.ByteBuffer;
import java.nio.charset.Charset;

/** A buffered request or response body. Valid until the exchange ends (see {@link Exchange}) or the body is replaced; read-only. */
public interface Body {
  /** Its length in bytes. */
  int length();

  /** A copy of the bytes. */
  byte[] toByteArray();

  /** The bytes decoded with {@code charset}. */
  String toString(Charset charset);

  /** A read-only view of the bytes, without a copy; valid until the exchange ends. */
  ByteBuffer asByteBuffer();
}
