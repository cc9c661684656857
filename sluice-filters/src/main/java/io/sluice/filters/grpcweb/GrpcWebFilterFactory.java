package io.sluice.filters.grpcweb;

import io.sluice.filter.Attribute;
import io.sluice.filter.BodyChunk;
import io.sluice.filter.ChunkResult;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.Headers;
import io.sluice.filter.LocalResponse;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * {@code grpc-web}: bridges gRPC-Web clients (browsers) to gRPC upstreams, as Envoy's
 * {@code envoy.filters.http.grpc_web}. The route's Upstream must speak HTTP/2
 * ({@code protocol: h2c}, {@code h2} or {@code auto}).
 *
 * <ul>
 *   <li>A request with {@code content-type: application/grpc-web[+fmt]} goes upstream as
 *       {@code application/grpc[+fmt]}, its messages unchanged; with
 *       {@code application/grpc-web-text[+fmt]} its body is base64 and is decoded as it streams, in
 *       whole groups of 4 characters. The gateway adds {@code te: trailers} to every gRPC request
 *       it sends to an HTTP/2 upstream. Other requests (a CORS preflight, plain HTTP) pass untouched.
 *   <li>The response of a gRPC upstream gets the gRPC-Web content type; its messages pass as they
 *       come (base64-encoded in text mode), and the upstream's trailers become a trailer frame
 *       (flags 0x80, {@code name:value\r\n} lines) at the end of the body. A trailers-only response
 *       ({@code grpc-status} in the head, no body) becomes a body of just that frame (the fields
 *       stay in the head too). A response that is not gRPC passes untouched.
 *   <li>A request body that is not a sequence of gRPC messages (flags other than 0 or 1, invalid
 *       base64, a body ending inside a message) is not delivered as a valid call: the filter makes
 *       sure the upstream rejects it (a frame with reserved flag bits, or the body cut inside a
 *       message) and answers the client with {@code grpc-status: 13} (INTERNAL) and a
 *       {@code grpc-message} saying what is wrong, in a trailer frame.
 * </ul>
 *
 * <p>Streaming: nothing is held but up to 3 bytes of base64 in text mode. Stateless between
 * exchanges; per-call state is an attribute, so one instance serves every event loop.
 */
public final class GrpcWebFilterFactory implements FilterFactory<GrpcWebConfig> {
  private static final Attribute<GrpcWebCall> CALL = Attribute.of("grpc-web.call");
  /** A message header with reserved flag bits set: every gRPC server refuses the call at it. */
  private static final byte[] POISON = {0x02, 0, 0, 0, 0};
  private static final int INTERNAL = 13;

  @Override
  public String kind() {
    return "grpc-web";
  }

  @Override
  public Class<GrpcWebConfig> configType() {
    return GrpcWebConfig.class;
  }

  @Override
  public Filter create(GrpcWebConfig config, FilterEnvironment environment) {
    return new GrpcWebFilter();
  }

  private static final class GrpcWebFilter implements Filter {
    @Override
    public long streamRequestBody() {
      return 64;
    }

    @Override
    public long streamResponseBody() {
      return 64;
    }

    @Override
    public FilterResult onRequest(Exchange x) {
      GrpcWebCall call = GrpcWebCall.of(x.request().headers().get("content-type"));
      if (call == null) return FilterResult.CONTINUE;
      x.setAttribute(CALL, call);
      Headers h = x.request().headers();
      h.set("content-type", call.upstreamContentType());
      // What the browser library asks for is answered by this filter, not by the upstream.
      h.remove("x-grpc-web");
      return FilterResult.CONTINUE;
    }

    @Override
    public ChunkResult onRequestChunk(Exchange x, BodyChunk chunk) {
      GrpcWebCall call = x.attribute(CALL);
      if (call == null) return ChunkResult.CONTINUE;
      if (call.malformed != null) {
        chunk.drop();
        return ChunkResult.CONTINUE;
      }
      ByteBuffer messages = chunk.data();
      if (call.text) {
        try {
          byte[] decoded = call.requestBase64.decode(chunk.data());
          chunk.replace(decoded);
          messages = ByteBuffer.wrap(decoded);
        } catch (Base64Pieces.InvalidBase64Exception e) {
          call.malformed = e.getMessage();
          // At a message boundary the upstream gets a header it must refuse; inside a message the
          // body ends there, which it must refuse too.
          if (call.frames.end() == null) chunk.replace(POISON.clone()); else chunk.drop();
          return ChunkResult.CONTINUE;
        }
      }
      String problem = call.frames.check(messages);
      if (problem == null && chunk.isLast()) {
        problem = call.text && call.requestBase64.hasPartialGroup()
            ? "malformed gRPC-Web text request body: its length is not a multiple of 4"
            : call.frames.end();
      }
      // A bad flags byte goes upstream as it is (reserved bits: refused there); a cut body ends.
      if (problem != null) call.malformed = problem;
      return ChunkResult.CONTINUE;
    }

    @Override
    public FilterResult onResponse(Exchange x) {
      GrpcWebCall call = x.attribute(CALL);
      if (call == null) return FilterResult.CONTINUE;
      String malformed = call.malformed;
      if (malformed != null) {
        String type = call.responseContentType(call.upstreamContentType());
        return FilterResult.respond(trailersOnly(type, call.text, INTERNAL, malformed, null));
      }
      Headers h = x.response().headers();
      String type = call.responseContentType(h.get("content-type"));
      if (type == null) return FilterResult.CONTINUE;
      if (h.contains("grpc-status")) return FilterResult.respond(trailersOnly(type, call.text, -1, "", h));
      h.set("content-type", type);
      call.transcodeResponse = true;
      return FilterResult.CONTINUE;
    }

    @Override
    public ChunkResult onResponseChunk(Exchange x, BodyChunk chunk) {
      GrpcWebCall call = x.attribute(CALL);
      if (call == null || !call.transcodeResponse) return ChunkResult.CONTINUE;
      if (!chunk.isLast()) {
        if (call.text) chunk.replace(call.responseBase64.encode(chunk.data()));
        return ChunkResult.CONTINUE;
      }
      Headers trailers = chunk.trailers();
      List<String[]> fields = new ArrayList<>();
      trailers.forEach((name, value) -> fields.add(new String[] {name, value}));
      for (String[] f : fields) trailers.remove(f[0]);
      byte[] frame = GrpcWebCall.trailerFrame(fields);
      ByteBuffer data = chunk.data();
      if (call.text) {
        byte[] body = call.responseBase64.encode(data);
        byte[] end = call.responseBase64.finish(new byte[0]);
        byte[] trailer = java.util.Base64.getEncoder().encode(frame);
        chunk.replace(concat(body, end, trailer));
      } else {
        byte[] body = new byte[data.remaining()];
        data.get(body);
        chunk.replace(concat(body, frame, new byte[0]));
      }
      return ChunkResult.CONTINUE;
    }

    /**
     * The gRPC-Web form of a response without messages: a 200 whose body is one trailer frame.
     * With {@code head} (an upstream's trailers-only response) its fields are kept and its
     * {@code grpc-*} fields make the frame; else {@code status} and {@code message} do.
     */
    private static LocalResponse trailersOnly(@Nullable String contentType, boolean text, int status, String message,
        @Nullable Headers head) {
      List<String[]> fields = new ArrayList<>();
      LocalResponse.Builder b = LocalResponse.builder(200);
      if (head == null) {
        fields.add(new String[] {"grpc-status", Integer.toString(status)});
        fields.add(new String[] {"grpc-message", URLEncoder.encode(message, StandardCharsets.UTF_8).replace("+", "%20")});
      } else {
        head.forEach((name, value) -> {
          String lower = name.toLowerCase(Locale.ROOT);
          switch (lower) {
            case "content-type", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer",
                "upgrade", "proxy-connection" -> {}
            default -> {
              b.header(name, value);
              if (lower.startsWith("grpc-")) fields.add(new String[] {lower, value});
            }
          }
        });
      }
      byte[] frame = GrpcWebCall.trailerFrame(fields);
      if (head == null) for (String[] f : fields) b.header(f[0], f[1]);
      b.header("content-type", contentType == null ? "application/grpc-web" : contentType);
      return b.body(text ? java.util.Base64.getEncoder().encode(frame) : frame).build();
    }

    private static byte[] concat(byte[] a, byte[] b, byte[] c) {
      byte[] out = new byte[a.length + b.length + c.length];
      System.arraycopy(a, 0, out, 0, a.length);
      System.arraycopy(b, 0, out, a.length, b.length);
      System.arraycopy(c, 0, out, a.length + b.length, c.length);
      return out;
    }
  }
}
