package io.sluice.server.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.codec.Durations;
import io.sluice.api.codec.ObjectCodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The admin API as the command line calls it (JSON over {@link HttpClient}). Every failure becomes
 * a {@link CliException} with what to print: the server's message and details, each validation
 * error as {@code file:line: Kind/name: field: message}, or one line naming the URL it could not
 * reach.
 *
 * <p>Not thread-safe; one per command run.
 */
final class AdminClient {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(2);

  private final String server;
  private final @Nullable String token;
  private final Duration connectTimeout;
  private final Duration requestTimeout;

  AdminClient(ClientOptions options) {
    this(options, CONNECT_TIMEOUT, REQUEST_TIMEOUT);
  }

  /** A client whose calls give up after these timeouts (completion's are short: a shell waits on them). */
  AdminClient(ClientOptions options, Duration connectTimeout, Duration requestTimeout) {
    this.connectTimeout = connectTimeout;
    this.requestTimeout = requestTimeout;
    String s = options.server.strip();
    while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
    URI uri;
    try {
      uri = URI.create(s);
    } catch (IllegalArgumentException e) {
      throw new CliException(2, List.of("error: --server must be a URL such as http://127.0.0.1:9900, got '" + options.server + "'"));
    }
    if (uri.getHost() == null || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
      throw new CliException(2, List.of("error: --server must be a URL such as http://127.0.0.1:9900, got '" + options.server + "'"));
    }
    this.server = s;
    this.token = options.token == null || options.token.isBlank() ? null : options.token.strip();
  }

  /** The admin API's base URL, as given (without trailing slashes). */
  String server() {
    return server;
  }

  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  JsonNode get(String path) {
    return send("GET", path, null, Map.of());
  }

  JsonNode post(String path, @Nullable String json) {
    return send("POST", path, json, Map.of());
  }

  /**
   * Sends a request and returns the parsed JSON body of a 2xx answer.
   *
   * @param sources each object sent as read locally, by {@code Kind/name}: validation errors about
   *     those objects name the local file, line and column of the field instead of the request body
   */
  JsonNode send(String method, String path, @Nullable String json, Map<String, ConfigObject<?>> sources) {
    Answer r;
    try {
      URI uri = URI.create(server + path);
      r = "https".equalsIgnoreCase(uri.getScheme()) ? overHttpClient(method, uri, json) : overUrlConnection(method, uri, json);
    } catch (IOException e) {
      throw new CliException("error: cannot reach the admin API at " + server + ": " + reason(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("error: interrupted while calling " + server);
    } catch (IllegalArgumentException e) {
      throw new CliException(2, List.of("error: " + e.getMessage()));
    }
    JsonNode body;
    try {
      body = r.body().isBlank() ? NullNode.getInstance() : JsonText.read(r.body());
    } catch (JsonProcessingException e) {
      throw new CliException("error: " + server + " answered " + r.statusCode() + " with a body that is not JSON;"
          + " is it a Sluice admin API?");
    }
    if (r.statusCode() / 100 == 2) return body;
    throw new CliException(1, errorLines(r.statusCode(), body, sources));
  }

  /** A response: its status and its body. */
  private record Answer(int statusCode, String body) {}

  /**
   * An {@code http://} request through {@link HttpURLConnection}: the JDK's {@link HttpClient}
   * creates its default {@code SSLContext} (trust store and all, ~85 ms of a CLI call) when it is
   * built, whatever the scheme. No proxy and no redirects, as with the {@code HttpClient}.
   */
  private Answer overUrlConnection(String method, URI uri, @Nullable String json) throws IOException {
    HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection(Proxy.NO_PROXY);
    c.setConnectTimeout(Math.toIntExact(connectTimeout.toMillis()));
    c.setReadTimeout(Math.toIntExact(requestTimeout.toMillis()));
    c.setInstanceFollowRedirects(false);
    c.setUseCaches(false);
    c.setRequestMethod(method);
    c.setRequestProperty("Accept", "application/json");
    if (token != null) c.setRequestProperty("Authorization", "Bearer " + token);
    if (json != null || method.equals("POST")) {
      byte[] bytes = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
      if (json != null) c.setRequestProperty("Content-Type", "application/json");
      c.setDoOutput(true);
      c.setFixedLengthStreamingMode(bytes.length);
      try (OutputStream out = c.getOutputStream()) {
        out.write(bytes);
      }
    }
    int status = c.getResponseCode();
    try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
      return new Answer(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  /** An {@code https://} request through the JDK's {@link HttpClient}. */
  private Answer overHttpClient(String method, URI uri, @Nullable String json) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(connectTimeout)
        .build();
    HttpRequest.Builder b = HttpRequest.newBuilder(uri)
        .timeout(requestTimeout)
        .header("Accept", "application/json")
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) b.header("Content-Type", "application/json");
    if (token != null) b.header("Authorization", "Bearer " + token);
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body());
  }

  /** The server's error as lines to print: validation errors first, then the status, code and message, then details. */
  static List<String> errorLines(int status, JsonNode body, Map<String, ConfigObject<?>> sources) {
    List<String> lines = new ArrayList<>();
    String message = body.path("message").asText("");
    // The server names the request body as the source; the objects came from local files, so those are named instead.
    Set<String> asSent = new HashSet<>();
    for (JsonNode e : body.path("errors")) {
      String object = e.path("object").asText("?");
      ConfigError sent = new ConfigError(e.path("source").asText("?"), object, e.path("field").asText(""), e.path("message").asText(""));
      ConfigObject<?> read = sources.get(object);
      ConfigError local = new ConfigError(read == null ? sent.source() : read.sourceOf(sent.field()), object, sent.field(), sent.message());
      asSent.add(sent.toString());
      message = message.replace(sent.toString(), local.toString());
      lines.add(local.toString());
    }
    String code = body.path("error").asText("");
    String reason = body.path("reason").asText("");
    if (message.isEmpty()) message = "the server answered " + status;
    lines.add("error: " + status + (code.isEmpty() ? "" : " " + code) + (reason.isEmpty() ? "" : " (" + reason + ")") + ": " + message);
    for (JsonNode d : body.path("details")) {
      String text = d.isTextual() ? d.asText() : d.toString();
      if (!message.contains(text) && !asSent.contains(text)) lines.add("  " + text);
    }
    return lines;
  }

  private String reason(IOException e) {
    if (e instanceof HttpConnectTimeoutException) return "connection timed out after " + Durations.format(connectTimeout);
    if (e instanceof HttpTimeoutException) return "no answer within " + Durations.format(requestTimeout);
    if (e instanceof SocketTimeoutException t) {
      // HttpURLConnection's: "connect timed out" or "Read timed out".
      return t.getMessage() != null && t.getMessage().startsWith("connect")
          ? "connection timed out after " + Durations.format(connectTimeout)
          : "no answer within " + Durations.format(requestTimeout);
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) return "connection refused";
      if (t instanceof UnresolvedAddressException || t instanceof java.net.UnknownHostException) return "unknown host";
    }
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  /** The objects of a list answer ({@code {"items":[...]}}), decoded. */
  static List<ConfigObject<?>> objects(JsonNode list) {
    List<ConfigObject<?>> out = new ArrayList<>();
    for (JsonNode item : list.path("items")) out.add(object(item));
    return out;
  }

  /** One object as the server sent it. */
  static ConfigObject<?> object(JsonNode node) {
    try {
      List<ConfigObject<?>> objects = ObjectCodec.readJson("<server>", node.toString());
      if (objects.size() != 1) throw new CliException("error: the server sent " + objects.size() + " objects where one was expected");
      return objects.getFirst();
    } catch (ConfigException e) {
      // A newer server with fields this client does not know.
      throw new CliException("error: cannot read an object the server sent (is the server newer than this client?): "
          + e.errors().getFirst());
    }
  }
}
