package io.sluice.filters.grpcjson;

import com.google.protobuf.Descriptors.Descriptor;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One transcoded call's state (an exchange attribute): the reply type, and the gRPC messages of the
 * response body reassembled from the pieces it arrives in. Used on the exchange's event loop only.
 */
final class GrpcJsonCall {
  final Descriptor output;
  final boolean serverStreaming;
  /** Set in the response phase once the upstream answered with a gRPC body to convert. */
  boolean transcodeResponse;
  /** Server streaming: how many messages went out in the JSON array so far. */
  int sent;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

  GrpcJsonCall(Descriptor output, boolean serverStreaming) {
    this.output = output;
    this.serverStreaming = serverStreaming;
  }

  /** Thrown for a response body that is not a sequence of uncompressed gRPC messages. */
  static final class BadFrameException extends Exception {
    private static final long serialVersionUID = 1L;

    BadFrameException(String message) {
      super(message);
    }
  }

  /**
   * Adds body bytes and returns the messages completed by them (their payloads), keeping the start
   * of an incomplete one for the next call.
   */
  List<byte[]> messages(ByteBuffer data) throws BadFrameException {
    byte[] in = new byte[data.remaining()];
    data.duplicate().get(in);
    pending.writeBytes(in);
    byte[] all = pending.toByteArray();
    List<byte[]> out = new ArrayList<>(1);
    int at = 0;
    while (all.length - at >= 5) {
      int flags = all[at] & 0xff;
      long length = ((all[at + 1] & 0xffL) << 24) | ((all[at + 2] & 0xff) << 16) | ((all[at + 3] & 0xff) << 8) | (all[at + 4] & 0xff);
      if (flags != 0) {
        throw new BadFrameException(flags == 1 ? "the upstream sent a compressed message" : "the upstream sent a malformed gRPC frame");
      }
      if (all.length - at - 5 < length) break;
      byte[] payload = new byte[(int) length];
      System.arraycopy(all, at + 5, payload, 0, (int) length);
      out.add(payload);
      at += 5 + (int) length;
    }
    pending.reset();
    pending.write(all, at, all.length - at);
    return out;
  }

  /** Null when the body ended at a message boundary, else what is wrong. */
  @Nullable String endProblem() {
    return pending.size() == 0 ? null : "the upstream's response body ended inside a gRPC message";
  }
}
