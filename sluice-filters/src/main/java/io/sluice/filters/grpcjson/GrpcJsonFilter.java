package io.sluice.filters.grpcjson;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.sluice.filter.Attribute;
import io.sluice.filter.Body;
import io.sluice.filter.BodyChunk;
import io.sluice.filter.ChunkResult;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterResult;
import io.sluice.filter.Headers;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.Request;
import java.io.ByteArrayOutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The {@code grpc-json} filter of one configuration place.
 *
 * <p>Request phase: a request whose method and path match a binding has its JSON body (and, unless
 * the rule's body is {@code *}, its query parameters) and the path variables converted with
 * protobuf-java-util's {@link JsonFormat} into the method's input message; it goes upstream as a
 * unary gRPC call ({@code POST /package.Service/Method}, {@code content-type: application/grpc},
 * one message). JSON that does not fit the message gets 400 with {@code {"code":3,"message":...}}
 * naming the problem, and nothing goes upstream. Other requests pass untouched.
 *
 * <p>Response phase: the reply message becomes its JSON with 200 ({@code application/json});
 * a server-streaming method's messages become a JSON array, written as they arrive. A non-OK
 * {@code grpc-status} becomes the HTTP status of {@link GrpcStatusHttp} with
 * {@code {"code":N,"message":...}}, whether the status comes in the head (trailers-only) or in
 * the trailers ({@link io.sluice.filter.Response#setStatus} while the head waits). A unary reply is
 * held until its trailers (at most {@link #MAX_BODY} bytes, held by the gateway with
 * {@link ChunkResult#PAUSE}). A server stream whose array is under way (status 200 sent) and then
 * fails ends the array with the error object as its last element.
 *
 * <p>Threading: immutable; per-call state is an exchange attribute, so one instance serves every
 * event loop.
 */
final class GrpcJsonFilter implements Filter {
  /** The most bytes of a JSON request body, and of a unary reply held until its trailers. */
  static final long MAX_BODY = 4L * 1024 * 1024;
  private static final Attribute<GrpcJsonCall> CALL = Attribute.of("grpc-json.call");
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
  private static final byte[] OPEN = {'['};
  private static final byte[] COMMA = {','};
  private static final byte[] CLOSE = {']'};

  private final Bindings bindings;

  GrpcJsonFilter(Bindings bindings) {
    this.bindings = bindings;
  }

  @Override
  public long bufferRequestBody() {
    return MAX_BODY;
  }

  @Override
  public long streamResponseBody() {
    return MAX_BODY;
  }

  @Override
  public FilterResult onRequest(Exchange x) {
    Request r = x.request();
    String path = r.path();
    for (Bindings.Binding b : bindings.all()) {
      if (!b.httpMethod().equals(r.method())) continue;
      String[] values = b.template().match(path);
      if (values == null) continue;
      return transcodeRequest(x, b, values);
    }
    return FilterResult.CONTINUE;
  }

  private static FilterResult transcodeRequest(Exchange x, Bindings.Binding b, String[] values) {
    Request r = x.request();
    Descriptor input = b.method().getInputType();
    DynamicMessage.Builder message = DynamicMessage.newBuilder(input);
    try {
      Body body = r.body();
      String json = body == null ? "" : body.toString(StandardCharsets.UTF_8);
      if (!b.body().isEmpty() && !json.isBlank()) {
        if (b.body().equals("*")) {
          PARSER.merge(json, message);
        } else {
          FieldDescriptor f = input.findFieldByName(b.body());
          Message.Builder sub = message.newBuilderForField(f);
          PARSER.merge(json, sub);
          message.setField(f, sub.build());
        }
      } else if (b.body().isEmpty() && !json.isBlank()) {
        return FilterResult.respond(error(400, 3, "this method takes no request body"));
      }
      if (!b.body().equals("*")) setQuery(message, r.query());
      List<PathTemplate.Variable> vars = b.template().variables();
      for (int i = 0; i < vars.size(); i++) set(message, vars.get(i).fieldPath(), values[i], "path");
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      return FilterResult.respond(error(400, 3, "invalid request for " + input.getFullName() + ": " + e.getMessage()));
    }
    byte[] payload = message.build().toByteArray();
    byte[] frame = new byte[5 + payload.length];
    frame[1] = (byte) (payload.length >>> 24);
    frame[2] = (byte) (payload.length >>> 16);
    frame[3] = (byte) (payload.length >>> 8);
    frame[4] = (byte) payload.length;
    System.arraycopy(payload, 0, frame, 5, payload.length);
    r.setMethod("POST");
    r.setPath(b.grpcPath());
    r.setQuery(null);
    r.setBody(frame);
    Headers h = r.headers();
    h.set("content-type", "application/grpc");
    h.remove("accept-encoding");
    x.setAttribute(CALL, new GrpcJsonCall(b.method().getOutputType(), b.method().isServerStreaming()));
    return FilterResult.CONTINUE;
  }

  /** Query parameters {@code a.b=v} (repeated for repeated fields) set scalar fields; unknown names are ignored. */
  private static void setQuery(DynamicMessage.Builder message, @Nullable String query) {
    if (query == null || query.isEmpty()) return;
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) continue;
      int eq = pair.indexOf('=');
      String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      FieldDescriptor f = Bindings.resolve(message.getDescriptorForType(), name);
      if (f == null || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) continue;
      set(message, name, value, "query parameter");
    }
  }

  /** Sets the scalar field at {@code fieldPath} from its text form (adds to a repeated field). */
  private static void set(Message.Builder message, String fieldPath, String text, String where) {
    int dot = fieldPath.indexOf('.');
    Descriptor type = message.getDescriptorForType();
    if (dot >= 0) {
      FieldDescriptor f = type.findFieldByName(fieldPath.substring(0, dot));
      Message.Builder sub = message.getFieldBuilder(f);
      set(sub, fieldPath.substring(dot + 1), text, where);
      return;
    }
    FieldDescriptor f = type.findFieldByName(fieldPath);
    Object value = scalar(f, text, where);
    if (f.isRepeated()) message.addRepeatedField(f, value); else message.setField(f, value);
  }

  private static Object scalar(FieldDescriptor f, String text, String where) {
    try {
      return switch (f.getJavaType()) {
        case STRING -> text;
        case INT -> Integer.valueOf(text);
        case LONG -> Long.valueOf(text);
        case FLOAT -> Float.valueOf(text);
        case DOUBLE -> Double.valueOf(text);
        case BOOLEAN -> switch (text) {
          case "true" -> Boolean.TRUE;
          case "false" -> Boolean.FALSE;
          default -> throw new IllegalArgumentException("expected true or false");
        };
        case ENUM -> {
          EnumValueDescriptor v = f.getEnumType().findValueByName(text);
          if (v == null) throw new IllegalArgumentException("expected one of the values of " + f.getEnumType().getFullName());
          yield v;
        }
        case BYTE_STRING -> com.google.protobuf.ByteString.copyFrom(java.util.Base64.getUrlDecoder().decode(text));
        case MESSAGE -> throw new IllegalArgumentException("a message field cannot be set from the URL");
      };
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + " " + f.getName() + "='" + text + "' is not a valid " + f.getType().name().toLowerCase(java.util.Locale.ROOT)
          + (e.getMessage() == null || e instanceof NumberFormatException ? "" : " (" + e.getMessage() + ")"), e);
    }
  }

  @Override
  public FilterResult onResponse(Exchange x) {
    GrpcJsonCall call = x.attribute(CALL);
    if (call == null) return FilterResult.CONTINUE;
    Headers h = x.response().headers();
    String status = h.get("grpc-status");
    if (status != null) {
      // Trailers-only: no message came (the common form of an error).
      int code = parseStatus(status);
      if (code != 0) return FilterResult.respond(error(GrpcStatusHttp.of(code), code, decodeMessage(h.get("grpc-message"))));
      return FilterResult.respond(call.serverStreaming ? json(200, new byte[] {'[', ']'})
          : error(500, 13, "the upstream answered OK without a reply message"));
    }
    String type = h.get("content-type");
    if (type == null || !type.startsWith("application/grpc")) return FilterResult.CONTINUE;
    h.set("content-type", "application/json");
    h.remove("grpc-encoding");
    h.remove("grpc-accept-encoding");
    call.transcodeResponse = true;
    return FilterResult.CONTINUE;
  }

  @Override
  public ChunkResult onResponseChunk(Exchange x, BodyChunk chunk) {
    GrpcJsonCall call = x.attribute(CALL);
    if (call == null || !call.transcodeResponse) return ChunkResult.CONTINUE;
    // A unary reply waits for its status: the gateway holds its bytes (bounded by MAX_BODY) until
    // the trailers, then the message and the status are converted together.
    if (!call.serverStreaming && !chunk.isLast()) return ChunkResult.PAUSE;
    List<byte[]> messages;
    try {
      messages = call.messages(chunk.data());
    } catch (GrpcJsonCall.BadFrameException e) {
      throw new IllegalStateException("grpc-json: " + e.getMessage(), e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (call.serverStreaming) {
      for (byte[] m : messages) {
        out.writeBytes(call.sent++ == 0 ? OPEN : COMMA);
        out.writeBytes(toJson(call.output, m));
      }
    }
    if (!chunk.isLast()) {
      chunk.replace(out.toByteArray());
      return ChunkResult.CONTINUE;
    }
    Headers trailers = chunk.trailers();
    int code = parseStatus(trailers.get("grpc-status"));
    String message = decodeMessage(trailers.get("grpc-message"));
    for (String name : List.of("grpc-status", "grpc-message", "grpc-status-details-bin")) trailers.remove(name);
    String problem = call.endProblem();
    if (problem != null && code == 0) {
      code = 13;
      message = problem;
    }
    if (call.serverStreaming && call.sent > 0) {
      // The array is under way with status 200: an error ends it as its last element.
      if (code != 0) {
        out.writeBytes(COMMA);
        out.writeBytes(errorJson(code, message));
      }
      out.writeBytes(CLOSE);
    } else if (code != 0) {
      // Nothing went out yet (a unary reply is held; a stream sent no message): the head still waits.
      x.response().setStatus(GrpcStatusHttp.of(code));
      out.writeBytes(errorJson(code, message));
    } else if (call.serverStreaming) {
      out.writeBytes(OPEN);
      out.writeBytes(CLOSE);
    } else if (messages.size() != 1) {
      x.response().setStatus(500);
      out.writeBytes(errorJson(13, "the upstream answered a unary call with " + messages.size() + " messages"));
    } else {
      out.writeBytes(toJson(call.output, messages.get(0)));
    }
    chunk.replace(out.toByteArray());
    return ChunkResult.CONTINUE;
  }

  private static byte[] toJson(Descriptor type, byte[] payload) {
    try {
      return PRINTER.print(DynamicMessage.parseFrom(type, payload)).getBytes(StandardCharsets.UTF_8);
    } catch (InvalidProtocolBufferException e) {
      return errorJson(13, "the upstream's reply is not a valid " + type.getFullName() + ": " + e.getMessage());
    }
  }

  private static int parseStatus(@Nullable String status) {
    if (status == null) return 2; // no status at all: UNKNOWN, as gRPC clients take it
    try {
      return Integer.parseInt(status.strip());
    } catch (NumberFormatException e) {
      return 2;
    }
  }

  /** grpc-message is percent-encoded UTF-8. */
  private static String decodeMessage(@Nullable String message) {
    if (message == null) return "";
    try {
      return URLDecoder.decode(message.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return message;
    }
  }

  private static byte[] errorJson(int code, String message) {
    StringBuilder b = new StringBuilder(48 + message.length());
    b.append("{\"code\":").append(code).append(",\"message\":\"");
    com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(message, b);
    return b.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static LocalResponse error(int httpStatus, int code, String message) {
    return json(httpStatus, errorJson(code, message));
  }

  private static LocalResponse json(int httpStatus, byte[] body) {
    return LocalResponse.builder(httpStatus).header("content-type", "application/json").body(body).build();
  }
}
