package io.sluice.filters.function;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import io.sluice.api.function.FunctionSpec;
import io.sluice.filter.Body;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.HeaderRules;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.Request;
import io.sluice.filter.UpstreamCall;
import io.sluice.filter.UpstreamCallException;
import io.sluice.filter.UpstreamReply;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * {@code function}: calls a Function (FaaS: an HTTP function served by an Upstream) with the
 * request, and uses its answer as the response or as edits to the request (Easegress' FaaS
 * filter, Knative-style functions).
 *
 * <pre>{@code
 * - kind: function
 *   config:
 *     function: thumbnails
 *     mode: request          # or event: a CloudEvents 1.0 JSON envelope of the request
 *     use: response          # or request-edits
 *     maxBodySize: 1MiB
 * }</pre>
 *
 * <p>The call goes through the data plane ({@link Exchange#upstreams()}) to the Function's
 * Upstream, so that Upstream's load balancing, health checks, breakers, retry policy and timeouts
 * apply, and the Function's {@code timeout} bounds it. The request body is read whole (up to
 * {@code maxBodySize}; a larger one gets 413) so that it can be sent.
 *
 * <p>{@code mode: request} sends the method, path, query, header fields (the hop-by-hop ones and
 * Host left out; {@code X-Forwarded-For}, {@code -Host} and {@code -Proto} added as the gateway
 * adds them upstream) and body as they are, to the Function's {@code path} and {@code method} when
 * it sets them. {@code mode: event} sends {@code POST} (or the Function's method) of a CloudEvents
 * structured-mode envelope ({@code application/cloudevents+json}) whose {@code data} holds the
 * request: see {@link #event}.
 *
 * <p>{@code use: response}: the answer's status, header fields (those the gateway writes itself
 * left out) and body are the client's response. {@code use: request-edits}: a 2xx answer is a JSON
 * object {@code {"setHeaders":{...},"removeHeaders":[...],"path":"...","body":"..."}} (each member
 * optional) applied to the request, which then goes on through the chain to the route's upstream; a
 * non-2xx answer is the client's response (the function refused the request). An answer that is
 * not such an object is 502 {@code function_bad_answer}. A failed call is the gateway's error with
 * {@code failureStatus} (default the failure's own) and reason {@code function_<failure>}, e.g.
 * {@code function_timeout}.
 */
public final class FunctionFilterFactory implements FilterFactory<FunctionConfig> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public String kind() {
    return "function";
  }

  @Override
  public Class<FunctionConfig> configType() {
    return FunctionConfig.class;
  }

  @Override
  public void validate(FunctionConfig c, Problems problems) {
    if (c.function() == null || c.function().isEmpty()) problems.add("function", "missing; expected the name of a Function");
    if (c.maxBodySize().bytes() < 1 || c.maxBodySize().bytes() > Integer.MAX_VALUE - 8) {
      problems.add("maxBodySize", "expected 1 byte to 2GiB, got " + c.maxBodySize().bytes() + " bytes");
    }
    if (c.maxResponseBody().bytes() < 1 || c.maxResponseBody().bytes() > Integer.MAX_VALUE - 8) {
      problems.add("maxResponseBody", "expected 1 byte to 2GiB, got " + c.maxResponseBody().bytes() + " bytes");
    }
    Integer s = c.failureStatus();
    if (s != null && (s < 400 || s > 599)) problems.add("failureStatus", "expected 400 to 599, got " + s);
  }

  @Override
  public List<Reference> references(FunctionConfig c) {
    return List.of(new Reference("function", new ObjectRef(Kind.FUNCTION, Objects.requireNonNull(c.function(), "function (validated)"))));
  }

  @Override
  public Filter create(FunctionConfig c, FilterEnvironment env) {
    String name = Objects.requireNonNull(c.function(), "function (validated)");
    ConfigObject<FunctionSpec> fn = env.config().function(name);
    if (fn == null) throw new IllegalArgumentException("Function '" + name + "' does not exist");
    FunctionSpec spec = fn.spec();
    String upstream = Objects.requireNonNull(spec.upstream(), "Function upstream (validated)");
    return new FunctionFilter(name, upstream, spec, c);
  }

  private static final class FunctionFilter implements Filter {
    private final String name;
    private final String upstream;
    private final FunctionSpec spec;
    private final FunctionConfig config;

    FunctionFilter(String name, String upstream, FunctionSpec spec, FunctionConfig config) {
      this.name = name;
      this.upstream = upstream;
      this.spec = spec;
      this.config = config;
    }

    @Override
    public long bufferRequestBody() {
      return config.maxBodySize().bytes();
    }

    @Override
    public FilterResult onRequest(Exchange x) {
      UpstreamCall call = config.mode() == FunctionConfig.Mode.EVENT ? eventCall(x) : requestCall(x.request());
      return FilterResult.async(x.upstreams().call(call).handle((reply, error) ->
          error != null ? failed(error) : answered(x, reply)));
    }

    private UpstreamCall.Builder builder() {
      UpstreamCall.Builder b = UpstreamCall.to(upstream).maxResponseBody(config.maxResponseBody().bytes());
      Duration t = spec.timeout();
      if (t != null) b.timeout(t);
      return b;
    }

    private UpstreamCall requestCall(Request r) {
      String target = r.query() == null ? r.path() : r.path() + "?" + r.query();
      UpstreamCall.Builder b = builder()
          .method(spec.method() != null ? spec.method() : r.method())
          .path(spec.path() != null ? spec.path() : target);
      StringBuilder xff = new StringBuilder();
      r.headers().forEach((n, v) -> {
        String lower = n.toLowerCase(Locale.ROOT);
        switch (lower) {
          case "x-forwarded-for" -> xff.append(xff.isEmpty() ? "" : ", ").append(v);
          case "x-forwarded-host", "x-forwarded-proto", "content-length", "host", "expect" -> {}
          default -> {
            try {
              HeaderRules.check(n, v, false);
              b.header(n, v);
            } catch (IllegalArgumentException e) {
              // A field the gateway writes itself (hop-by-hop, framing): not the function's.
            }
          }
        }
      });
      b.header("X-Forwarded-For", xff.append(xff.isEmpty() ? "" : ", ").append(r.clientIp()).toString());
      b.header("X-Forwarded-Host", r.authority());
      b.header("X-Forwarded-Proto", r.scheme());
      Body body = r.body();
      if (body != null && body.length() > 0) b.body(body.toByteArray());
      return b.build();
    }

    private UpstreamCall eventCall(Exchange x) {
      return builder()
          .method(spec.method() != null ? spec.method() : "POST")
          .path(spec.path() != null ? spec.path() : "/")
          .header("Content-Type", "application/cloudevents+json; charset=utf-8")
          .body(event(x))
          .build();
    }

    private FilterResult failed(Throwable error) {
      Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      if (!(e instanceof UpstreamCallException u)) throw new CompletionException(e);
      Integer s = config.failureStatus();
      return FilterResult.respond(LocalResponse.error(s != null ? s : u.failure().status(),
          "function_" + u.failure().name().toLowerCase(Locale.ROOT), "Function " + name + ": " + u.getMessage()));
    }

    private FilterResult answered(Exchange x, UpstreamReply reply) {
      if (config.use() == FunctionConfig.Use.RESPONSE || reply.status() < 200 || reply.status() > 299) {
        return FilterResult.respond(response(reply));
      }
      try {
        applyEdits(x.request(), JSON.readTree(reply.body()));
        return FilterResult.CONTINUE;
      } catch (JsonProcessingException e) {
        return badAnswer("its answer is not JSON: " + e.getOriginalMessage());
      } catch (IllegalArgumentException | IllegalStateException e) {
        return badAnswer(e.getMessage());
      } catch (java.io.IOException e) {
        return badAnswer(String.valueOf(e.getMessage()));
      }
    }

    private FilterResult badAnswer(@Nullable String why) {
      return FilterResult.respond(LocalResponse.error(502, "function_bad_answer", "Function " + name + ": " + why));
    }
  }

  /** The function's answer as the client's response: the fields the gateway writes itself are left out. */
  static LocalResponse response(UpstreamReply reply) {
    int status = reply.status() < 200 ? 502 : reply.status();
    LocalResponse.Builder b = LocalResponse.builder(status);
    for (UpstreamCall.Header h : reply.headers()) {
      try {
        HeaderRules.check(h.name(), h.value(), true);
        b.header(h.name(), h.value());
      } catch (IllegalArgumentException e) {
        // Content-Length, Transfer-Encoding, Connection...: the gateway writes its own.
      }
    }
    if (status != 204 && status != 304) b.body(reply.body());
    return b.build();
  }

  /**
   * Applies {@code {"setHeaders":{...},"removeHeaders":[...],"path":"...","body":"..."}} to the
   * request, in that order of members: removals first, then the headers set, the path (with an
   * optional {@code ?query}, which replaces the query when present) and the body.
   *
   * @throws IllegalArgumentException naming the member that is not as expected
   */
  static void applyEdits(Request r, JsonNode edits) {
    if (!edits.isObject()) throw new IllegalArgumentException("expected a JSON object of request edits, got " + edits.getNodeType());
    for (Iterator<String> it = edits.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!f.equals("setHeaders") && !f.equals("removeHeaders") && !f.equals("path") && !f.equals("body")) {
        throw new IllegalArgumentException("unknown member '" + f + "' in its answer; expected setHeaders, removeHeaders, path or body");
      }
    }
    JsonNode remove = edits.path("removeHeaders");
    if (!remove.isMissingNode()) {
      if (!remove.isArray()) throw new IllegalArgumentException("removeHeaders: expected an array of header names");
      for (int i = 0; i < remove.size(); i++) {
        if (!remove.get(i).isTextual()) throw new IllegalArgumentException("removeHeaders[" + i + "]: expected a header name");
        r.headers().remove(remove.get(i).asText());
      }
    }
    JsonNode set = edits.path("setHeaders");
    if (!set.isMissingNode()) {
      if (!set.isObject()) throw new IllegalArgumentException("setHeaders: expected an object of header names to values");
      for (Iterator<Map.Entry<String, JsonNode>> it = set.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isTextual()) throw new IllegalArgumentException("setHeaders." + e.getKey() + ": expected a string");
        r.headers().set(e.getKey(), e.getValue().asText());
      }
    }
    JsonNode path = edits.path("path");
    if (!path.isMissingNode()) {
      if (!path.isTextual()) throw new IllegalArgumentException("path: expected a string such as /v2/orders");
      String p = path.asText();
      int q = p.indexOf('?');
      r.setPath(q < 0 ? p : p.substring(0, q));
      if (q >= 0) r.setQuery(p.substring(q + 1));
    }
    JsonNode body = edits.path("body");
    if (!body.isMissingNode()) {
      if (!body.isTextual()) throw new IllegalArgumentException("body: expected a string");
      r.setBody(body.asText().getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * The CloudEvents 1.0 structured-mode envelope of the request:
   * {@code specversion} 1.0, {@code id} (the request's {@code X-Request-Id}, else a random UUID),
   * {@code source} {@code /sluice/routes/<route>}, {@code type} {@code io.sluice.http.request},
   * {@code time}, {@code datacontenttype} {@code application/json}, and {@code data}: {@code method},
   * {@code path}, {@code query} (null when none), {@code authority}, {@code scheme}, {@code clientIp},
   * {@code headers} (lower-case names to lists of values), and the body as {@code body} (UTF-8
   * text) or {@code bodyBase64} (when it is not UTF-8); neither when there is none.
   */
  static byte[] event(Exchange x) {
    Request r = x.request();
    ObjectNode e = JSON.createObjectNode();
    e.put("specversion", "1.0");
    String id = r.headers().get("X-Request-Id");
    e.put("id", id != null ? id : UUID.randomUUID().toString());
    e.put("source", "/sluice/routes/" + x.route());
    e.put("type", "io.sluice.http.request");
    e.put("time", Instant.now().toString());
    e.put("datacontenttype", "application/json");
    ObjectNode d = e.putObject("data");
    d.put("method", r.method());
    d.put("path", r.path());
    d.put("query", r.query());
    d.put("authority", r.authority());
    d.put("scheme", r.scheme());
    d.put("clientIp", r.clientIp());
    ObjectNode headers = d.putObject("headers");
    r.headers().forEach((n, v) -> {
      String lower = n.toLowerCase(Locale.ROOT);
      JsonNode list = headers.get(lower);
      (list instanceof ArrayNode a ? a : headers.putArray(lower)).add(v);
    });
    Body body = r.body();
    if (body != null && body.length() > 0) {
      byte[] b = body.toByteArray();
      try {
        d.put("body", StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b)).toString());
      } catch (CharacterCodingException notText) {
        d.put("bodyBase64", Base64.getEncoder().encodeToString(b));
      }
    }
    try {
      return JSON.writeValueAsBytes(e);
    } catch (JsonProcessingException impossible) {
      throw new IllegalStateException("a JSON tree did not serialise", impossible);
    }
  }
}
