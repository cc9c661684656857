package io.sluice.proxy.http1;

import io.netty.buffer.ByteBuf;
import org.jspecify.annotations.Nullable;

/**
 * Validates a chunked body (RFC 9112 §7.1) as it streams past, so the proxy can forward the bytes
 * verbatim yet know exactly where the message ends. Nothing is buffered: framing is checked byte by
 * byte, chunk data is skipped in bulk.
 *
 * <p>Refused: a chunk size that is empty, not hex, longer than 15 digits, or followed by anything
 * but CRLF or a chunk extension; whitespace not followed by {@code ;} or {@code =}; a chunk
 * extension outside the grammar {@code *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )};
 * a bare CR or LF anywhere; missing CRLF after chunk data; obs-fold or invalid characters in trailer
 * fields.
 *
 * <p>Threading: one instance per message direction of a connection, used on its event loop.
 */
public final class ChunkedParser {
  /** Receives the chunk data inside a chunked body, for callers that remove the framing. */
  @FunctionalInterface
  public interface DataSink {
    void data(ByteBuf buf, int index, int length);
  }

  private static final int SIZE_FIRST = 0;
  private static final int SIZE = 1;
  private static final int SIZE_WS = 2;
  /** After {@code ;}: optional whitespace, then an extension name. */
  private static final int EXT = 3;
  private static final int SIZE_LF = 4;
  private static final int DATA = 5;
  private static final int DATA_CR = 6;
  private static final int DATA_LF = 7;
  private static final int TRAILER_START = 8;
  private static final int TRAILER_NAME = 9;
  private static final int TRAILER_VALUE = 10;
  private static final int TRAILER_LF = 11;
  private static final int END_LF = 12;
  private static final int DONE = 13;
  private static final int EXT_NAME = 14;
  /** Whitespace after an extension name: {@code =} or {@code ;} must follow. */
  private static final int EXT_NAME_WS = 15;
  /** After {@code =}: optional whitespace, then a token or a quoted-string. */
  private static final int EXT_VALUE_START = 16;
  private static final int EXT_TOKEN = 17;
  private static final int EXT_QUOTED = 18;
  private static final int EXT_QUOTED_ESCAPE = 19;
  /** Whitespace after an extension value: {@code ;} must follow. */
  private static final int EXT_VALUE_WS = 20;
  /** Right after a quoted-string's closing quote. */
  private static final int EXT_QUOTED_END = 21;

  private static final int MAX_SIZE_DIGITS = 15;
  private static final int MAX_FRAMING_BYTES = 16 * 1024;

  private final int errorStatus;
  private int state = SIZE_FIRST;
  private long size;
  private int digits;
  private long dataTotal;
  private long maxData = Long.MAX_VALUE;
  private int framingBytes;

  /**
   * @param errorStatus the status a framing error maps to: 400 for a request body, 502 for an
   *     upstream's response body
   */
  public ChunkedParser(int errorStatus) {
    this.errorStatus = errorStatus;
  }

  /** Lowers the limit of the body in progress to {@code maxData} bytes (413 beyond), if it is lower. */
  public void limit(long maxData) {
    this.maxData = Math.min(this.maxData, maxData);
  }

  /** Starts a new body whose decoded data may not exceed {@code maxData} bytes (413 beyond). */
  public void reset(long maxData) {
    state = SIZE_FIRST;
    size = 0;
    digits = 0;
    dataTotal = 0;
    framingBytes = 0;
    this.maxData = maxData;
  }

  public boolean isDone() {
    return state == DONE;
  }

  /** Decoded bytes of chunk data seen so far. */
  public long dataTotal() {
    return dataTotal;
  }

  /**
   * Scans {@code buf[from, to)} and returns the index after the last byte that belongs to this body:
   * {@code to}, or less when the body ended inside the range. Does not move the reader index.
   *
   * @param sink called with each run of chunk data, or null when only framing is checked
   * @throws HttpParseException on a framing error, or 413 when the data exceeds the limit
   */
  public int scan(ByteBuf buf, int from, int to, @Nullable DataSink sink) {
    int i = from;
    while (i < to && state != DONE) {
      if (state == DATA) {
        int n = (int) Math.min(size, to - i);
        if (sink != null) sink.data(buf, i, n);
        i += n;
        size -= n;
        if (size == 0) state = DATA_CR;
        continue;
      }
      if (++framingBytes > MAX_FRAMING_BYTES) throw error("chunk framing too long");
      byte b = buf.getByte(i++);
      switch (state) {
        case SIZE_FIRST, SIZE -> {
          int h = Ascii.hexValue(b);
          if (h >= 0) {
            if (++digits > MAX_SIZE_DIGITS) throw error("chunk size too large");
            size = (size << 4) | h;
            state = SIZE;
          } else if (state == SIZE_FIRST) {
            throw error("invalid chunk size");
          } else if (b == ';') {
            state = EXT;
          } else if (b == ' ' || b == '\t') {
            state = SIZE_WS;
          } else if (b == '\r') {
            state = SIZE_LF;
          } else {
            throw error("invalid chunk size");
          }
        }
        case SIZE_WS -> {
          if (b == ';') {
            state = EXT;
          } else if (b != ' ' && b != '\t') {
            throw error("invalid chunk size");
          }
        }
        case EXT -> {
          if (Ascii.isTchar(b)) {
            state = EXT_NAME;
          } else if (b != ' ' && b != '\t') {
            throw error("invalid chunk extension");
          }
        }
        case EXT_QUOTED_END -> {
          if (b == '\r') {
            state = SIZE_LF;
          } else if (b == ';') {
            state = EXT;
          } else if (b == ' ' || b == '\t') {
            state = EXT_VALUE_WS;
          } else {
            throw error("invalid chunk extension");
          }
        }
        case EXT_NAME, EXT_TOKEN -> {
          if (b == '\r') {
            state = SIZE_LF;
          } else if (b == ';') {
            state = EXT;
          } else if (b == '=' && state == EXT_NAME) {
            state = EXT_VALUE_START;
          } else if (b == ' ' || b == '\t') {
            state = state == EXT_NAME ? EXT_NAME_WS : EXT_VALUE_WS;
          } else if (!Ascii.isTchar(b)) {
            throw error("invalid chunk extension");
          }
        }
        case EXT_NAME_WS, EXT_VALUE_WS -> {
          if (b == ';') {
            state = EXT;
          } else if (b == '=' && state == EXT_NAME_WS) {
            state = EXT_VALUE_START;
          } else if (b != ' ' && b != '\t') {
            throw error("invalid chunk extension");
          }
        }
        case EXT_VALUE_START -> {
          if (b == '"') {
            state = EXT_QUOTED;
          } else if (Ascii.isTchar(b)) {
            state = EXT_TOKEN;
          } else if (b != ' ' && b != '\t') {
            throw error("invalid chunk extension");
          }
        }
        case EXT_QUOTED -> {
          if (b == '"') {
            state = EXT_QUOTED_END;
          } else if (b == '\\') {
            state = EXT_QUOTED_ESCAPE;
          } else if (!Ascii.isFieldValueOctet(b)) {
            throw error("invalid chunk extension");
          }
        }
        case EXT_QUOTED_ESCAPE -> {
          if (!Ascii.isFieldValueOctet(b)) throw error("invalid chunk extension");
          state = EXT_QUOTED;
        }
        case SIZE_LF -> {
          if (b != '\n') throw error("bare CR after chunk size");
          if (size == 0) {
            state = TRAILER_START;
          } else {
            dataTotal += size;
            if (dataTotal > maxData) throw new HttpParseException(413, "request body larger than " + maxData + " bytes");
            state = DATA;
            framingBytes = 0;
          }
        }
        case DATA_CR -> {
          if (b != '\r') throw error("missing CRLF after chunk data");
          state = DATA_LF;
        }
        case DATA_LF -> {
          if (b != '\n') throw error("missing CRLF after chunk data");
          state = SIZE_FIRST;
          size = 0;
          digits = 0;
        }
        case TRAILER_START -> {
          if (b == '\r') {
            state = END_LF;
          } else if (Ascii.isTchar(b)) {
            state = TRAILER_NAME;
          } else {
            throw error("invalid trailer field");
          }
        }
        case TRAILER_NAME -> {
          if (b == ':') {
            state = TRAILER_VALUE;
          } else if (!Ascii.isTchar(b)) {
            throw error("invalid trailer field name");
          }
        }
        case TRAILER_VALUE -> {
          if (b == '\r') {
            state = TRAILER_LF;
          } else if (!Ascii.isFieldValueOctet(b)) {
            throw error("invalid trailer field value");
          }
        }
        case TRAILER_LF -> {
          if (b != '\n') throw error("bare CR in trailer");
          state = TRAILER_START;
        }
        case END_LF -> {
          if (b != '\n') throw error("bare CR at end of chunked body");
          state = DONE;
        }
        default -> throw new IllegalStateException("chunked parser in state " + state);
      }
    }
    return i;
  }

  private HttpParseException error(String message) {
    return new HttpParseException(errorStatus, message);
  }
}
