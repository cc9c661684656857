package io.sluice.proxy.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;

/** Real span receivers for tests: an OTLP/HTTP (protobuf) collector and a Zipkin v2 JSON collector. */
final class SpanReceivers {
  private SpanReceivers() {}

  /** A span as received, in the terms the tests compare. */
  record ReceivedSpan(String traceId, String spanId, String parentSpanId, String kind, String name,
      Map<String, String> attributes, boolean error, String serviceName) {}

  /** Receives OTLP/HTTP exports at {@code /v1/traces}. */
  static final class Otlp implements AutoCloseable {
    final HttpServer server;
    final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();

    Otlp() throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      server.createContext("/v1/traces", this::handle);
      server.start();
    }

    String endpoint() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/traces";
    }

    private void handle(HttpExchange ex) throws IOException {
      try (ex) {
        byte[] body = read(ex);
        ExportTraceServiceRequest req = ExportTraceServiceRequest.parseFrom(body);
        for (ResourceSpans rs : req.getResourceSpansList()) {
          String service = "";
          for (KeyValue kv : rs.getResource().getAttributesList()) {
            if (kv.getKey().equals("service.name")) service = kv.getValue().getStringValue();
          }
          for (ScopeSpans ss : rs.getScopeSpansList()) {
            for (Span s : ss.getSpansList()) {
              Map<String, String> attrs = new java.util.TreeMap<>();
              for (KeyValue kv : s.getAttributesList()) attrs.put(kv.getKey(), text(kv.getValue()));
              spans.add(new ReceivedSpan(hex(s.getTraceId().toByteArray()), hex(s.getSpanId().toByteArray()),
                  hex(s.getParentSpanId().toByteArray()), s.getKind().name().replace("SPAN_KIND_", ""), s.getName(), attrs,
                  s.getStatus().getCode() == io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR, service));
            }
          }
        }
        byte[] resp = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
        ex.getResponseHeaders().add("Content-Type", "application/x-protobuf");
        ex.sendResponseHeaders(200, resp.length);
        ex.getResponseBody().write(resp);
      }
    }

    private static String text(AnyValue v) {
      return switch (v.getValueCase()) {
        case INT_VALUE -> Long.toString(v.getIntValue());
        case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
        case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
        default -> v.getStringValue();
      };
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  /** Receives Zipkin v2 JSON at {@code /api/v2/spans}. */
  static final class Zipkin implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    final HttpServer server;
    final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();

    Zipkin() throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      server.createContext("/api/v2/spans", this::handle);
      server.start();
    }

    String endpoint() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/v2/spans";
    }

    private void handle(HttpExchange ex) throws IOException {
      try (ex) {
        JsonNode list = JSON.readTree(read(ex));
        for (JsonNode s : list) {
          Map<String, String> tags = new java.util.TreeMap<>();
          s.path("tags").properties().forEach(e -> tags.put(e.getKey(), e.getValue().asText()));
          spans.add(new ReceivedSpan(s.path("traceId").asText(), s.path("id").asText(), s.path("parentId").asText(""),
              s.path("kind").asText(), s.path("name").asText(), tags, tags.containsKey("error"),
              s.path("localEndpoint").path("serviceName").asText()));
        }
        ex.sendResponseHeaders(202, -1);
      }
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private static byte[] read(HttpExchange ex) throws IOException {
    InputStream in = ex.getRequestBody();
    String enc = ex.getRequestHeaders().getFirst("Content-Encoding");
    if (enc != null && enc.equalsIgnoreCase("gzip")) in = new GZIPInputStream(in);
    return in.readAllBytes();
  }

  static String hex(byte[] b) {
    return b.length == 0 ? "" : HexFormat.of().formatHex(b);
  }
}
