package io.sluice.filters.jsontransform;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filter.Body;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.Headers;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code json-transform}: edits JSON request bodies (before they go upstream) and JSON response
 * bodies (before they go to the client) at JSON pointers (RFC 6901).
 *
 * <pre>{@code
 * - kind: json-transform
 *   config:
 *     request:
 *       rename: {/user/mail: email}
 *       remove: [/debug, /items/0]
 *       set: {/meta/source: gateway, /meta/version: 2}
 *     response:
 *       remove: [/internal]
 *     maxBodySize: 256KiB
 * }</pre>
 *
 * <p>Per side, {@code rename} applies first, then {@code remove}, then {@code set}, each in the
 * order written. {@code set} creates missing intermediate objects, replaces an array element at an
 * index and appends at the array's length or {@code -}; an edit whose path runs into a scalar, a
 * missing array element or a missing member (for rename and remove) is skipped.
 *
 * <p>Only bodies whose Content-Type is {@code application/json} or {@code *}{@code /*+json}, without
 * a Content-Encoding, are read. A body that is not a JSON object or array (invalid JSON, empty, a
 * scalar), or that no edit changes, is sent byte for byte as it came; an edited one is written
 * compactly in UTF-8 (numbers as they were written) with its new Content-Length. Bodies are buffered
 * up to {@code maxBodySize}: with {@code request} edits a bigger request body gets 413 (the request
 * side buffers before the request goes upstream); a bigger response body streams through untouched.
 */
public final class JsonTransformFilterFactory implements FilterFactory<JsonTransformConfig> {
  @Override
  public String kind() {
    return "json-transform";
  }

  @Override
  public Class<JsonTransformConfig> configType() {
    return JsonTransformConfig.class;
  }

  @Override
  public void validate(JsonTransformConfig c, Problems problems) {
    if (isEmpty(c.request()) && isEmpty(c.response())) {
      problems.add("", "no edits; expected request or response with set, remove or rename");
    }
    check(c.request(), "request", problems);
    check(c.response(), "response", problems);
    if (c.maxBodySize() != null && c.maxBodySize().bytes() == 0) problems.add("maxBodySize", "must be greater than 0");
    if (c.maxBodySize() != null && c.maxBodySize().bytes() > Integer.MAX_VALUE - 8) problems.add("maxBodySize", "must be below 2GiB");
  }

  private static boolean isEmpty(JsonTransformConfig.@Nullable Edits e) {
    return e == null || e.isEmpty();
  }

  private static void check(JsonTransformConfig.@Nullable Edits e, String side, Problems problems) {
    if (e == null) return;
    if (e.isEmpty()) problems.add(side, "empty; expected set, remove or rename");
    for (Map.Entry<String, String> r : e.rename().entrySet()) {
      pointer(r.getKey(), side + ".rename." + r.getKey(), problems);
      if (r.getValue().isEmpty()) problems.add(side + ".rename." + r.getKey(), "empty; expected the new member name");
    }
    List<String> remove = e.remove();
    for (int i = 0; i < remove.size(); i++) pointer(remove.get(i), side + ".remove[" + i + "]", problems);
    for (String p : e.set().keySet()) pointer(p, side + ".set." + p, problems);
  }

  private static void pointer(String pointer, String field, Problems problems) {
    String problem = Transform.problem(pointer);
    if (problem != null) problems.add(field, problem);
  }

  @Override
  public Filter create(JsonTransformConfig c, FilterEnvironment env) {
    long max = c.maxBytes();
    @Nullable Transform request = isEmpty(c.request()) ? null : Transform.of(Objects.requireNonNull(c.request()));
    @Nullable Transform response = isEmpty(c.response()) ? null : Transform.of(Objects.requireNonNull(c.response()));
    return new Filter() {
      @Override
      public long bufferRequestBody() {
        return request == null ? 0 : max;
      }

      @Override
      public long bufferResponseBody() {
        return response == null ? 0 : max;
      }

      @Override
      public FilterResult onRequest(Exchange x) {
        if (request == null) return FilterResult.CONTINUE;
        Body body = x.request().body();
        if (body != null && isJson(x.request().headers())) {
          byte[] edited = request.apply(body.asByteBuffer());
          if (edited != null) x.request().setBody(edited);
        }
        return FilterResult.CONTINUE;
      }

      @Override
      public void onResponseBody(Exchange x) {
        if (response == null) return;
        Body body = x.response().body();
        if (body != null && isJson(x.response().headers())) {
          byte[] edited = response.apply(body.asByteBuffer());
          if (edited != null) x.response().setBody(edited);
        }
      }
    };
  }

  /** application/json or a +json type (application/problem+json, ...), not content-encoded. */
  static boolean isJson(Headers h) {
    String encoding = h.get("Content-Encoding");
    if (encoding != null && !encoding.strip().equalsIgnoreCase("identity")) return false;
    String type = h.get("Content-Type");
    if (type == null) return false;
    int semi = type.indexOf(';');
    String media = (semi < 0 ? type : type.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
    return media.equals("application/json") || (media.endsWith("+json") && media.indexOf('/') > 0);
  }
}
