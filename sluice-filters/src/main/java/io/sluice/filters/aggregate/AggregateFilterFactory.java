package io.sluice.filters.aggregate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.filters.common.Values;
import io.sluice.filters.outbound.OutboundHttp;
import io.sluice.filters.outbound.UpstreamEndpoints;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.Request;
import io.sluice.filter.HeaderRules;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * {@code aggregate}: answers a request itself by calling several upstreams at once and combining
 * their JSON responses into one object (a backend for frontend without a backend).
 *
 * <pre>{@code
 * - kind: aggregate
 *   config:
 *     pathPattern: "^/users/(?<id>[0-9]+)/summary$"
 *     forwardHeaders: [Authorization]
 *     failOnError: false
 *     calls:
 *       - {name: user, upstream: users, path: "/users/{id}", timeout: 2s}
 *       - {name: orders, upstream: orders, path: "/orders?user={id}&limit={query.limit}"}
 * }</pre>
 *
 * answers {@code {"user": {...}, "orders": [...]}}; with {@code failOnError: false} and the orders
 * call failing, {@code {"user": {...}, "orders": null, "errors": {"orders": "status 500"}}}; with
 * {@code failOnError: true} (the default), 502 {@code aggregate_failed}
 * {@code call 'orders' failed: status 500}. The result is named {@code aggregated}, a failure
 * {@code failed} (so a flow can jump to a fallback), a path that {@code pathPattern} does not match
 * gets 404 {@code not_found}.
 *
 * <p>The calls are made by the outbound HTTP client, off the event loops, each bounded by its
 * {@code timeout} (connection, head and body); the exchange waits for all of them without holding
 * its loop. The route's own upstream is not called: the route may as well have a
 * {@code directResponse}.
 */
public final class AggregateFilterFactory implements FilterFactory<AggregateConfig> {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The field of the errors object, so no call may have this name. */
  static final String ERRORS = "errors";

  @Override
  public String kind() {
    return "aggregate";
  }

  @Override
  public Class<AggregateConfig> configType() {
    return AggregateConfig.class;
  }

  @Override
  public void validate(AggregateConfig c, Problems problems) {
    Set<String> groups = Set.of();
    if (c.pathPattern() != null) {
      try {
        groups = Pattern.compile(c.pathPattern()).namedGroups().keySet();
      } catch (PatternSyntaxException e) {
        problems.add("pathPattern", "invalid regular expression: " + e.getDescription() + " near position " + e.getIndex());
      }
    }
    if (c.calls().isEmpty()) {
      problems.add("calls", "missing; expected at least one call such as {name: user, upstream: users, path: /users/{query.id}}");
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < c.calls().size(); i++) {
      AggregateConfig.Call call = c.calls().get(i);
      String at = "calls[" + i + "]";
      if (call.name() == null || call.name().isEmpty()) {
        problems.add(at + ".name", "missing; expected the call's name, its field in the answer");
      } else if (call.name().equals(ERRORS)) {
        problems.add(at + ".name", "'errors' is the field that reports failed calls; expected another name");
      } else if (!names.add(call.name())) {
        problems.add(at + ".name", "'" + call.name() + "' is used twice; call names must be unique");
      }
      if (call.upstream() == null || call.upstream().isEmpty()) problems.add(at + ".upstream", "missing; expected the name of an Upstream");
      if (!HeaderRules.isToken(call.method()) || call.method().equalsIgnoreCase("CONNECT")) {
        problems.add(at + ".method", "invalid method '" + call.method() + "'; expected a method such as GET");
      }
      if (call.path() == null) {
        problems.add(at + ".path", "missing; expected a path such as /users/{query.id}");
      } else {
        try {
          PathTemplate.parse(call.path(), groups);
        } catch (IllegalArgumentException e) {
          problems.add(at + ".path", String.valueOf(e.getMessage()));
        }
      }
      for (Map.Entry<String, String> h : call.headers().entrySet()) outboundHeader(problems, at + ".headers." + h.getKey(), h.getKey(), h.getValue());
      if (!call.timeout().isPositive()) problems.add(at + ".timeout", "expected a duration above zero, got " + call.timeout());
    }
    for (int i = 0; i < c.forwardHeaders().size(); i++) outboundHeader(problems, "forwardHeaders[" + i + "]", c.forwardHeaders().get(i), "");
    if (c.maxResponseSize().bytes() < 1 || c.maxResponseSize().bytes() > Integer.MAX_VALUE - 8) {
      problems.add("maxResponseSize", "expected 1 byte to 2GiB, got " + c.maxResponseSize().bytes() + " bytes");
    }
  }

  private static void outboundHeader(Problems problems, String field, @Nullable String name, String value) {
    Values.headerName(problems, field, name);
    if (name == null || !HeaderRules.isToken(name)) return;
    if (!OutboundHttp.copyable(name)) {
      problems.add(field, "header " + name + " is written by the HTTP client; it cannot be set on a call");
      return;
    }
    try {
      HeaderRules.check(name, value, false);
    } catch (IllegalArgumentException e) {
      problems.add(field, String.valueOf(e.getMessage()));
    }
  }

  @Override
  public List<Reference> references(AggregateConfig c) {
    List<Reference> refs = new ArrayList<>(c.calls().size());
    for (int i = 0; i < c.calls().size(); i++) {
      refs.add(new Reference("calls[" + i + "].upstream", new ObjectRef(Kind.UPSTREAM, Objects.requireNonNull(c.calls().get(i).upstream(), "calls[].upstream"))));
    }
    return refs;
  }

  /** One call, compiled. */
  private record CallPlan(
      String name, UpstreamEndpoints endpoints, String method, PathTemplate path, String[] headers, Duration timeout) {}

  @Override
  public Filter create(AggregateConfig c, FilterEnvironment env) {
    Pattern pattern = c.pathPattern() == null ? null : Pattern.compile(c.pathPattern());
    Set<String> groups = pattern == null ? Set.of() : pattern.namedGroups().keySet();
    CallPlan[] plans = new CallPlan[c.calls().size()];
    for (int i = 0; i < plans.length; i++) {
      AggregateConfig.Call call = c.calls().get(i);
      // validate() refused a call without upstream, name or path
      String upstreamName = Objects.requireNonNull(call.upstream(), "calls[].upstream");
      ConfigObject<UpstreamSpec> upstream = env.config().upstream(upstreamName);
      if (upstream == null) throw new IllegalArgumentException("Upstream '" + call.upstream() + "' does not exist");
      List<String> headers = new ArrayList<>();
      headers.add("Accept");
      headers.add("application/json");
      call.headers().forEach((name, value) -> {
        if (name.equalsIgnoreCase("accept")) headers.subList(0, 2).clear();
        headers.add(name);
        headers.add(value);
      });
      plans[i] = new CallPlan(Objects.requireNonNull(call.name(), "calls[].name"), UpstreamEndpoints.of(upstream), call.method(),
          PathTemplate.parse(Objects.requireNonNull(call.path(), "calls[].path"), groups), headers.toArray(String[]::new), call.timeout());
    }
    String[] forward = c.forwardHeaders().toArray(String[]::new);
    boolean failOnError = c.failOnError();
    boolean deep = c.merge() == AggregateConfig.Merge.DEEP;
    long maxBytes = c.maxResponseSize().bytes();
    FilterResult notFound = FilterResult.respond("not_found",
        LocalResponse.error(404, "not_found", "the path does not match the aggregate's pathPattern"));
    return new Filter() {
      @Override
      public FilterResult onRequest(Exchange x) {
        Request r = x.request();
        Matcher m = null;
        if (pattern != null) {
          m = pattern.matcher(r.path());
          if (!m.matches()) return notFound;
        }
        List<String> forwarded = new ArrayList<>();
        for (String name : forward) {
          for (String v : r.headers().getAll(name)) {
            forwarded.add(name);
            forwarded.add(v);
          }
        }
        @SuppressWarnings("unchecked")
        CompletableFuture<Outcome>[] outcomes = new CompletableFuture[plans.length];
        for (int i = 0; i < plans.length; i++) {
          CallPlan plan = plans[i];
          outcomes[i] = call(plan, plan.path().render(r, m), forwarded, maxBytes);
        }
        return FilterResult.async(CompletableFuture.allOf(outcomes).thenApply(v -> answer(plans, outcomes, failOnError, deep)));
      }
    };
  }

  /** A call's JSON result, or why it failed. */
  private record Outcome(@Nullable JsonNode value, @Nullable String error) {}

  private static CompletableFuture<Outcome> call(CallPlan plan, String target, List<String> forwarded, long maxBytes) {
    return CompletableFuture
        .supplyAsync(() -> {
          HttpRequest.Builder b = HttpRequest.newBuilder(OutboundHttp.uri(plan.endpoints().pick(), target))
              .timeout(OutboundHttp.atLeastOneMilli(plan.timeout()))
              .method(plan.method(), HttpRequest.BodyPublishers.noBody());
          for (int i = 0; i < forwarded.size(); i += 2) b.header(forwarded.get(i), forwarded.get(i + 1));
          String[] h = plan.headers();
          for (int i = 0; i < h.length; i += 2) b.header(h[i], h[i + 1]);
          return OutboundHttp.client().sendAsync(b.build(), OutboundHttp.bytesUpTo(maxBytes));
        }, OutboundHttp.executor())
        .thenCompose(f -> f)
        .orTimeout(plan.timeout().toNanos(), TimeUnit.NANOSECONDS)
        .handle((response, error) -> error != null ? new Outcome(null, describe(error, plan.timeout())) : parse(response));
  }

  private static Outcome parse(HttpResponse<byte[]> response) {
    int status = response.statusCode();
    if (status < 200 || status > 299) return new Outcome(null, "status " + status);
    byte[] body = response.body();
    if (body.length == 0) return new Outcome(NullNode.getInstance(), null);
    try {
      return new Outcome(JSON.readTree(body), null);
    } catch (IOException e) {
      return new Outcome(null, "the response is not JSON");
    }
  }

  private static String describe(Throwable error, Duration timeout) {
    Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (t instanceof TimeoutException || t instanceof HttpTimeoutException) return "timed out after " + Durations.text(timeout);
    if (t instanceof ConnectException) return "could not connect";
    if (t instanceof OutboundHttp.BodyTooLargeException) return String.valueOf(t.getMessage());
    if (t instanceof IllegalArgumentException) return "invalid request: " + t.getMessage();
    if (t instanceof IOException) return "connection failed" + (t.getMessage() == null ? "" : ": " + t.getMessage());
    return "failed: " + t;
  }

  private static FilterResult answer(CallPlan[] plans, CompletableFuture<Outcome>[] outcomes, boolean failOnError, boolean deep) {
    Map<String, String> errors = new LinkedHashMap<>();
    ObjectNode root = JSON.createObjectNode();
    for (int i = 0; i < plans.length; i++) {
      Outcome o = outcomes[i].join();
      String name = plans[i].name();
      JsonNode value = o.value();
      String error = o.error();
      if (error == null && deep && value != null && !value.isNull() && !value.isObject()) {
        error = "the response is not a JSON object, which merge: deep needs";
      }
      if (error != null) {
        errors.put(name, error);
        if (!deep) root.set(name, NullNode.getInstance());
      } else if (!deep) {
        root.set(name, value);
      } else if (value instanceof ObjectNode object) {
        merge(root, object);
      }
    }
    if (failOnError && !errors.isEmpty()) {
      StringBuilder message = new StringBuilder();
      errors.forEach((name, error) -> message.append(message.isEmpty() ? "" : "; ").append("call '").append(name)
          .append("' failed: ").append(error));
      return FilterResult.respond("failed", LocalResponse.error(502, "aggregate_failed", message.toString()));
    }
    if (!errors.isEmpty()) {
      ObjectNode e = root.putObject(ERRORS);
      errors.forEach(e::put);
    }
    byte[] body;
    try {
      body = JSON.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new IllegalStateException("a JSON tree could not be written", e);
    }
    return FilterResult.respond("aggregated", LocalResponse.builder(200).header("Content-Type", "application/json").body(body).build());
  }

  /** Deep merge: objects merge field by field, anything else from {@code from} replaces. */
  static void merge(ObjectNode into, ObjectNode from) {
    from.properties().forEach(e -> {
      JsonNode existing = into.get(e.getKey());
      if (existing instanceof ObjectNode a && e.getValue() instanceof ObjectNode b) {
        merge(a, b);
      } else {
        into.set(e.getKey(), e.getValue());
      }
    });
  }

  /** Durations as config writes them. */
  private static final class Durations {
    static String text(Duration d) {
      if (d.toMillis() % 1000 != 0 || d.isZero()) return d.toMillis() + "ms";
      long s = d.toSeconds();
      return s % 60 == 0 ? (s / 60) + "m" : s + "s";
    }
  }
}
