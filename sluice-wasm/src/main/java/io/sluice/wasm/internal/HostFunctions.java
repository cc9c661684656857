package io.sluice.wasm.internal;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import io.sluice.filter.Exchange;
import io.sluice.filter.FilterMetrics;
import io.sluice.filter.Headers;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.Request;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of the proxy-wasm ABI (0.2.1, and 0.2.0's names where they differ) for one
 * {@link PluginVm}: the functions a plugin imports, reading and writing the plugin's memory and
 * acting on the {@link HttpContext} being called. Called on the VM's thread only.
 *
 * <p>A module that imports a function not in {@link #provides} is refused when its config is
 * validated, so a plugin never meets a missing function at run time.
 */
final class HostFunctions {
  private static final Logger PLUGIN_LOG = LoggerFactory.getLogger("io.sluice.wasm.plugin");

  // proxy_result_t
  static final int OK = 0;
  static final int NOT_FOUND = 1;
  static final int BAD_ARGUMENT = 2;
  static final int INVALID_MEMORY_ACCESS = 6;
  static final int CAS_MISMATCH = 8;

  // proxy_map_type_t
  private static final int REQUEST_HEADERS = 0;
  private static final int REQUEST_TRAILERS = 1;
  private static final int RESPONSE_HEADERS = 2;
  private static final int RESPONSE_TRAILERS = 3;
  private static final int HTTP_CALL_RESPONSE_HEADERS = 6;
  private static final int HTTP_CALL_RESPONSE_TRAILERS = 7;

  // proxy_buffer_type_t
  private static final int REQUEST_BODY = 0;
  private static final int RESPONSE_BODY = 1;
  private static final int HTTP_CALL_RESPONSE_BODY = 4;
  private static final int VM_CONFIGURATION = 6;
  private static final int PLUGIN_CONFIGURATION = 7;

  private static final Set<String> ENV = Set.of(
      "proxy_log", "proxy_get_log_level", "proxy_get_current_time_nanoseconds", "proxy_get_property",
      "proxy_get_buffer_bytes", "proxy_get_buffer_status", "proxy_set_buffer_bytes",
      "proxy_get_header_map_pairs", "proxy_set_header_map_pairs", "proxy_get_header_map_value",
      "proxy_add_header_map_value", "proxy_replace_header_map_value", "proxy_remove_header_map_value",
      "proxy_get_header_map_size", "proxy_send_local_response", "proxy_continue_stream",
      "proxy_continue_request", "proxy_continue_response", "proxy_set_effective_context", "proxy_done",
      "proxy_get_shared_data", "proxy_set_shared_data", "proxy_set_tick_period_milliseconds",
      "proxy_http_call");

  /** Metrics (see {@link PluginMetrics}). */
  private static final Set<String> ENV_METRICS = Set.of(
      "proxy_define_metric", "proxy_increment_metric", "proxy_record_metric", "proxy_get_metric");

  /** Shared queues (see {@link SharedQueues}). */
  private static final Set<String> ENV_QUEUES = Set.of(
      "proxy_register_shared_queue", "proxy_resolve_shared_queue", "proxy_enqueue_shared_queue", "proxy_dequeue_shared_queue");

  /**
   * Functions an SDK's dispatcher imports whether or not the plugin uses them (the Rust SDK
   * references every ABI function through its context traits), answered as the ABI lets a host
   * without the feature answer, so such a plugin loads: there is no gRPC service to call, no
   * foreign function and no L4 stream.
   */
  private static final Set<String> ENV_SDK = Set.of(
      "proxy_set_property", "proxy_grpc_call", "proxy_grpc_stream", "proxy_grpc_send", "proxy_grpc_cancel",
      "proxy_grpc_close", "proxy_get_status", "proxy_call_foreign_function", "proxy_close_stream");
  static final int EMPTY = 7;
  static final int INTERNAL_FAILURE = 10;

  private final PluginVm vm;
  private final PluginSettings settings;
  private final byte[] configuration;
  private final byte[] vmConfiguration;
  private @Nullable HttpContext current;
  private final HttpCallouts callouts;
  private final long[] result = new long[1];

  /** One host function's body: its arguments as the ABI passes them, its proxy_result_t (or value). */
  @FunctionalInterface
  private interface HostCall {
    int apply(long[] args);
  }

  HostFunctions(PluginVm vm, PluginSettings settings) {
    this.vm = vm;
    this.settings = settings;
    this.callouts = new HttpCallouts(vm, settings);
    this.configuration = settings.configuration().getBytes(StandardCharsets.UTF_8);
    this.vmConfiguration = settings.vmConfiguration().getBytes(StandardCharsets.UTF_8);
  }

  /** Whether the host provides the import {@code module.name}. */
  static boolean provides(String module, String name) {
    if (module.equals("env")) return ENV.contains(name) || ENV_METRICS.contains(name) || ENV_QUEUES.contains(name) || ENV_SDK.contains(name);
    return (module.equals("wasi_unstable") || module.equals("wasi_snapshot_preview1")) && name.equals("proc_exit");
  }

  /** The module's function imports bound to this host, with the types the module declares. */
  ImportValues imports(WasmModule module) {
    ImportValues.Builder b = ImportValues.builder();
    for (int i = 0; i < module.importSection().importCount(); i++) {
      Import imp = module.importSection().getImport(i);
      FunctionType type = module.typeSection().getType(((FunctionImport) imp).typeIndex());
      HostCall call = handler(imp.name());
      boolean returns = !type.returns().isEmpty();
      b.addFunction(new HostFunction(imp.module(), imp.name(), type, (instance, args) -> {
        int r = call.apply(args);
        if (!returns) return null;
        // One result array per VM: the compiled caller reads it as soon as the host call returns,
        // and a host call nested in this one (the allocator logging) set its result before ours.
        result[0] = r;
        return result;
      }));
    }
    return b.build();
  }

  void enter(HttpContext context) {
    current = context;
  }

  void leave() {
    current = null;
  }

  /** The handler of the import {@code name}, chosen once when the module is bound, not on every call. */
  private HostCall handler(String name) {
    return switch (name) {
      case "proc_exit" -> a -> {
        throw new PluginFailure("exit", "the plugin exited with code " + (int) a[0]);
      };
      case "proxy_log" -> a -> log((int) a[0], (int) a[1], (int) a[2]);
      case "proxy_get_log_level" -> a -> writeI32((int) a[0], logLevel());
      case "proxy_get_current_time_nanoseconds" -> a -> currentTime((int) a[0]);
      case "proxy_define_metric" -> a -> defineMetric((int) a[0], (int) a[1], (int) a[2], (int) a[3]);
      case "proxy_increment_metric" -> a -> incrementMetric((int) a[0], a[1]);
      case "proxy_record_metric" -> a -> recordMetric((int) a[0], a[1]);
      case "proxy_get_metric" -> a -> getMetric((int) a[0], (int) a[1]);
      case "proxy_register_shared_queue" -> a -> registerQueue((int) a[0], (int) a[1], (int) a[2]);
      case "proxy_resolve_shared_queue" -> a -> resolveQueue((int) a[2], (int) a[3], (int) a[4]);
      case "proxy_enqueue_shared_queue" -> a -> enqueue((int) a[0], (int) a[1], (int) a[2]);
      case "proxy_dequeue_shared_queue" -> a -> dequeue((int) a[0], (int) a[1], (int) a[2]);
      case "proxy_get_property" -> a -> getProperty((int) a[0], (int) a[1], (int) a[2], (int) a[3]);
      case "proxy_set_property" -> a -> setProperty((int) a[0], (int) a[1], (int) a[2], (int) a[3]);
      // no gRPC service can be named (as an unknown cluster), so no token, and no status, ever exists
      case "proxy_grpc_call", "proxy_grpc_stream" -> a -> BAD_ARGUMENT;
      case "proxy_grpc_send", "proxy_grpc_cancel", "proxy_grpc_close", "proxy_get_status" -> a -> NOT_FOUND;
      // Sluice registers no foreign functions, and runs HTTP contexts only: a request ends with
      // proxy_send_local_response, there is no L4 stream to close
      case "proxy_call_foreign_function", "proxy_close_stream" -> a -> NOT_FOUND;
      case "proxy_get_buffer_bytes" -> a -> getBufferBytes((int) a[0], a[1] & 0xffffffffL, a[2] & 0xffffffffL, (int) a[3], (int) a[4]);
      case "proxy_get_buffer_status" -> a -> getBufferStatus((int) a[0], (int) a[1], (int) a[2]);
      case "proxy_set_buffer_bytes" -> a -> setBufferBytes((int) a[0], a[1] & 0xffffffffL, a[2] & 0xffffffffL, (int) a[3], (int) a[4]);
      case "proxy_get_header_map_pairs" -> a -> getHeaderPairs((int) a[0], (int) a[1], (int) a[2]);
      case "proxy_set_header_map_pairs" -> a -> setHeaderPairs((int) a[0], (int) a[1], (int) a[2]);
      case "proxy_get_header_map_value" -> a -> getHeader((int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4]);
      case "proxy_add_header_map_value" -> a -> editHeader((int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4], true);
      case "proxy_replace_header_map_value" -> a -> editHeader((int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4], false);
      case "proxy_remove_header_map_value" -> a -> removeHeader((int) a[0], (int) a[1], (int) a[2]);
      case "proxy_get_header_map_size" -> a -> headerMapSize((int) a[0], (int) a[1]);
      case "proxy_send_local_response" -> a -> sendLocalResponse((int) a[0], (int) a[3], (int) a[4], (int) a[5], (int) a[6]);
      case "proxy_continue_stream", "proxy_continue_request", "proxy_continue_response" -> a -> continueStream();
      case "proxy_set_effective_context" -> a -> setEffectiveContext((int) a[0]);
      case "proxy_done" -> a -> OK;
      case "proxy_get_shared_data" -> a -> getSharedData((int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4]);
      case "proxy_set_shared_data" -> a -> setSharedData((int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4]);
      case "proxy_set_tick_period_milliseconds" -> a -> setTickPeriod(a[0] & 0xffffffffL);
      case "proxy_http_call" -> a -> httpCall((int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4], (int) a[5],
          a[8] & 0xffffffffL, (int) a[9]);
      default -> throw new IllegalStateException("no host function " + name + " (the module check should have refused it)");
    };
  }

  // ---- memory

  private Memory memory() {
    return vm.memory();
  }

  private byte[] read(int ptr, int size) {
    if (size < 0) throw new PluginFailure("host", "the plugin passed a negative size " + size);
    return memory().readBytes(ptr, size);
  }

  private String readString(int ptr, int size) {
    return new String(read(ptr, size), StandardCharsets.UTF_8);
  }

  private int writeI32(int ptr, int value) {
    memory().writeI32(ptr, value);
    return OK;
  }

  /** Copies {@code bytes} into memory the plugin's allocator gives, and returns pointer and size through the two out-pointers. */
  private int give(byte[] bytes, int ptrOut, int sizeOut) {
    int ptr = vm.allocate(bytes.length);
    if (ptr == 0 && bytes.length > 0) throw new PluginFailure("host", "the plugin's allocator returned null for " + bytes.length + " bytes");
    memory().write(ptr, bytes);
    memory().writeI32(ptrOut, ptr);
    memory().writeI32(sizeOut, bytes.length);
    return OK;
  }

  // ---- logging, time, properties

  private int log(int level, int ptr, int size) {
    if (!enabled(level)) return OK;
    String message = readString(ptr, size);
    String line = "{}: {}";
    switch (level) {
      case 0 -> PLUGIN_LOG.trace(line, settings.place(), message);
      case 1 -> PLUGIN_LOG.debug(line, settings.place(), message);
      case 2 -> PLUGIN_LOG.info(line, settings.place(), message);
      case 3 -> PLUGIN_LOG.warn(line, settings.place(), message);
      default -> PLUGIN_LOG.error(line, settings.place(), message);
    }
    return OK;
  }

  private static boolean enabled(int level) {
    return switch (level) {
      case 0 -> PLUGIN_LOG.isTraceEnabled();
      case 1 -> PLUGIN_LOG.isDebugEnabled();
      case 2 -> PLUGIN_LOG.isInfoEnabled();
      case 3 -> PLUGIN_LOG.isWarnEnabled();
      default -> PLUGIN_LOG.isErrorEnabled();
    };
  }

  private static int logLevel() {
    if (PLUGIN_LOG.isTraceEnabled()) return 0;
    if (PLUGIN_LOG.isDebugEnabled()) return 1;
    if (PLUGIN_LOG.isInfoEnabled()) return 2;
    if (PLUGIN_LOG.isWarnEnabled()) return 3;
    return 4;
  }

  private int currentTime(int ptr) {
    Instant now = Instant.now();
    memory().writeLong(ptr, now.getEpochSecond() * 1_000_000_000L + now.getNano());
    return OK;
  }

  private int getProperty(int pathPtr, int pathSize, int ptrOut, int sizeOut) {
    String path = readString(pathPtr, pathSize);
    @Nullable String value = Properties.get(path.replace('\0', '.'), settings, current);
    if (value == null) return NOT_FOUND;
    return give(value.getBytes(StandardCharsets.UTF_8), ptrOut, sizeOut);
  }

  /**
   * Sets (or, with no value, removes) a property of the current request, which {@code
   * proxy_get_property} then returns for the rest of that request, as Envoy's filter state does.
   * The properties Sluice serves are read only ({@code BadArgument}); outside a request there is
   * nothing to set it on ({@code NotFound}). A request holds at most {@link
   * HttpContext#MAX_PROPERTIES} of them, each path and value at most {@link
   * HttpContext#MAX_PROPERTY_BYTES} ({@code BadArgument} beyond), so a plugin cannot grow the heap
   * without bound.
   */
  private int setProperty(int pathPtr, int pathSize, int valuePtr, int valueSize) {
    HttpContext c = current;
    if (c == null) return NOT_FOUND;
    // Sizes are unsigned: checked before anything is read, so an oversized one copies nothing.
    if (Integer.compareUnsigned(pathSize, HttpContext.MAX_PROPERTY_BYTES) > 0
        || Integer.compareUnsigned(valueSize, HttpContext.MAX_PROPERTY_BYTES) > 0) {
      return BAD_ARGUMENT;
    }
    String path = readString(pathPtr, pathSize).replace('\0', '.');
    if (Properties.NAMES.contains(path)) return BAD_ARGUMENT;
    return c.setProperty(path, valueSize == 0 && valuePtr == 0 ? null : readString(valuePtr, valueSize)) ? OK : BAD_ARGUMENT;
  }

  // ---- buffers

  private byte @Nullable [] buffer(int type) {
    return switch (type) {
      case VM_CONFIGURATION -> vmConfiguration;
      case PLUGIN_CONFIGURATION -> configuration;
      case RESPONSE_BODY -> current == null ? null : current.body(HttpContext.RESPONSE);
      case REQUEST_BODY -> current == null ? null : current.body(HttpContext.REQUEST);
      case HTTP_CALL_RESPONSE_BODY -> callouts.body();
      default -> null;
    };
  }

  /**
   * {@code start} and {@code length} are the ABI's unsigned 32-bit sizes: a plugin asks for
   * "everything from start" with the largest one (the Rust SDK passes {@code usize::MAX}).
   */
  private int getBufferBytes(int type, long start, long length, int ptrOut, int sizeOut) {
    byte[] b = buffer(type);
    if (b == null) return NOT_FOUND;
    if (start > b.length) return BAD_ARGUMENT;
    int end = (int) Math.min(b.length, start + length);
    byte[] slice = start == 0 && end == b.length ? b : java.util.Arrays.copyOfRange(b, (int) start, end);
    return give(slice, ptrOut, sizeOut);
  }

  private int getBufferStatus(int type, int lengthOut, int flagsOut) {
    byte[] b = buffer(type);
    if (b == null) return NOT_FOUND;
    memory().writeI32(lengthOut, b.length);
    memory().writeI32(flagsOut, 0);
    return OK;
  }

  /** {@code start} and {@code length} are unsigned, as in {@link #getBufferBytes}: the largest length replaces all from start. */
  private int setBufferBytes(int type, long start, long length, int dataPtr, int dataSize) {
    if ((type != RESPONSE_BODY && type != REQUEST_BODY) || current == null) return NOT_FOUND;
    int which = type == REQUEST_BODY ? HttpContext.REQUEST : HttpContext.RESPONSE;
    byte[] b = current.body(which);
    if (b == null) return NOT_FOUND;
    if (start > b.length) return BAD_ARGUMENT;
    int from = (int) start;
    int end = (int) Math.min(b.length, start + length);
    byte[] data = read(dataPtr, dataSize);
    byte[] out = new byte[b.length - (end - from) + data.length];
    System.arraycopy(b, 0, out, 0, from);
    System.arraycopy(data, 0, out, from, data.length);
    System.arraycopy(b, end, out, from + data.length, b.length - end);
    current.setBody(which, out);
    return OK;
  }

  // ---- header maps

  /** The header map of {@code type} in the current context, or null when there is none (yet). */
  private @Nullable HeaderView headers(int type) {
    HttpContext c = current;
    if (c == null) return null;
    Exchange x = c.exchange();
    if (type == REQUEST_HEADERS) return c.responsePhase() ? null : new HeaderView(x, false, null);
    if (type == RESPONSE_HEADERS) return c.responsePhase() ? new HeaderView(x, true, null) : null;
    if (type == REQUEST_TRAILERS || type == RESPONSE_TRAILERS) {
      Headers t = c.trailers(type == RESPONSE_TRAILERS);
      return t == null ? null : new HeaderView(x, type == RESPONSE_TRAILERS, t);
    }
    return null;
  }

  /** A header map with the pseudo-headers proxy-wasm plugins expect ({@code :path}, {@code :status}, ...). */
  private record HeaderView(Exchange x, boolean response, @Nullable Headers trailers) {
    Headers fields() {
      if (trailers != null) return trailers;
      return response ? x.response().headers() : x.request().headers();
    }

    @Nullable String pseudo(String name) {
      if (trailers != null) return null;
      if (response) return name.equals(":status") ? Integer.toString(x.response().status()) : null;
      Request r = x.request();
      return switch (name) {
        case ":method" -> r.method();
        case ":path" -> r.query() == null ? r.path() : r.path() + "?" + r.query();
        case ":authority" -> r.authority();
        case ":scheme" -> r.scheme();
        default -> null;
      };
    }

    List<Map.Entry<String, String>> pairs() {
      List<Map.Entry<String, String>> out = new ArrayList<>();
      for (String p : trailers != null ? List.<String>of() : response ? List.of(":status") : List.of(":method", ":path", ":authority", ":scheme")) {
        out.add(Map.entry(p, java.util.Objects.requireNonNull(pseudo(p))));
      }
      fields().forEach((n, v) -> out.add(Map.entry(n.toLowerCase(java.util.Locale.ROOT), v)));
      return out;
    }

    /** Sets a pseudo-header; false if it cannot be set. */
    boolean setPseudo(String name, String value) {
      if (response || trailers != null) return false;
      Request r = x.request();
      switch (name) {
        case ":method" -> r.setMethod(value);
        case ":authority" -> r.setAuthority(value);
        case ":path" -> {
          int q = value.indexOf('?');
          r.setPath(q < 0 ? value : value.substring(0, q));
          r.setQuery(q < 0 ? null : value.substring(q + 1));
        }
        default -> {
          return false;
        }
      }
      return true;
    }
  }

  /** A callout reply's header or trailer map while it is delivered; null for other types or outside a delivery. */
  private @Nullable List<Map.Entry<String, String>> calloutMap(int type) {
    if (type == HTTP_CALL_RESPONSE_HEADERS) return callouts.headers();
    if (type == HTTP_CALL_RESPONSE_TRAILERS) return callouts.trailers();
    return null;
  }

  private static boolean isCalloutMap(int type) {
    return type == HTTP_CALL_RESPONSE_HEADERS || type == HTTP_CALL_RESPONSE_TRAILERS;
  }

  private int getHeaderPairs(int type, int ptrOut, int sizeOut) {
    if (isCalloutMap(type)) {
      List<Map.Entry<String, String>> m = calloutMap(type);
      return m == null ? NOT_FOUND : give(serialize(m), ptrOut, sizeOut);
    }
    HeaderView h = headers(type);
    if (h == null) return NOT_FOUND;
    return give(serialize(h.pairs()), ptrOut, sizeOut);
  }

  private int headerMapSize(int type, int sizeOut) {
    if (isCalloutMap(type)) {
      List<Map.Entry<String, String>> m = calloutMap(type);
      return m == null ? NOT_FOUND : writeI32(sizeOut, serialize(m).length);
    }
    HeaderView h = headers(type);
    if (h == null) return NOT_FOUND;
    return writeI32(sizeOut, serialize(h.pairs()).length);
  }

  private int setHeaderPairs(int type, int ptr, int size) {
    HeaderView h = headers(type);
    if (h == null) return NOT_FOUND;
    List<Map.Entry<String, String>> pairs = deserialize(read(ptr, size));
    Set<String> names = new LinkedHashSet<>();
    h.fields().forEach((n, v) -> names.add(n));
    try {
      for (String n : names) h.fields().remove(n);
      for (Map.Entry<String, String> p : pairs) {
        if (p.getKey().startsWith(":")) h.setPseudo(p.getKey(), p.getValue());
        else h.fields().add(p.getKey(), p.getValue());
      }
    } catch (IllegalArgumentException | IllegalStateException e) {
      return BAD_ARGUMENT;
    }
    return OK;
  }

  private int getHeader(int type, int keyPtr, int keySize, int ptrOut, int sizeOut) {
    if (isCalloutMap(type)) {
      List<Map.Entry<String, String>> m = calloutMap(type);
      if (m == null) return NOT_FOUND;
      String name = readString(keyPtr, keySize);
      for (Map.Entry<String, String> e : m) {
        if (e.getKey().equalsIgnoreCase(name)) return give(e.getValue().getBytes(StandardCharsets.UTF_8), ptrOut, sizeOut);
      }
      return NOT_FOUND;
    }
    HeaderView h = headers(type);
    if (h == null) return NOT_FOUND;
    String name = readString(keyPtr, keySize);
    String value = name.startsWith(":") ? h.pseudo(name) : h.fields().get(name);
    if (value == null) return NOT_FOUND;
    return give(value.getBytes(StandardCharsets.UTF_8), ptrOut, sizeOut);
  }

  private int editHeader(int type, int keyPtr, int keySize, int valuePtr, int valueSize, boolean add) {
    HeaderView h = headers(type);
    if (h == null) return NOT_FOUND;
    String name = readString(keyPtr, keySize);
    String value = readString(valuePtr, valueSize);
    try {
      if (name.startsWith(":")) return h.setPseudo(name, value) ? OK : BAD_ARGUMENT;
      if (add) h.fields().add(name, value);
      else h.fields().set(name, value);
    } catch (IllegalArgumentException | IllegalStateException e) {
      return BAD_ARGUMENT;
    }
    return OK;
  }

  private int removeHeader(int type, int keyPtr, int keySize) {
    HeaderView h = headers(type);
    if (h == null) return NOT_FOUND;
    String name = readString(keyPtr, keySize);
    if (name.startsWith(":")) return BAD_ARGUMENT;
    try {
      h.fields().remove(name);
    } catch (IllegalArgumentException | IllegalStateException e) {
      return BAD_ARGUMENT;
    }
    return OK;
  }

  /** proxy-wasm's map encoding: count, then each key and value size, then each key and value, NUL-terminated. */
  static byte[] serialize(List<Map.Entry<String, String>> pairs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<byte[]> parts = new ArrayList<>(pairs.size() * 2);
    for (Map.Entry<String, String> p : pairs) {
      parts.add(p.getKey().getBytes(StandardCharsets.UTF_8));
      parts.add(p.getValue().getBytes(StandardCharsets.UTF_8));
    }
    writeLe(out, pairs.size());
    for (byte[] part : parts) writeLe(out, part.length);
    for (byte[] part : parts) {
      out.writeBytes(part);
      out.write(0);
    }
    return out.toByteArray();
  }

  private static void writeLe(ByteArrayOutputStream out, int v) {
    out.write(v);
    out.write(v >>> 8);
    out.write(v >>> 16);
    out.write(v >>> 24);
  }

  static List<Map.Entry<String, String>> deserialize(byte[] b) {
    if (b.length < 4) return List.of();
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int count = in.getInt();
    if (count < 0 || (long) count * 8 + 4 > b.length) throw new PluginFailure("host", "the plugin passed a malformed header map");
    int[] sizes = new int[count * 2];
    for (int i = 0; i < sizes.length; i++) sizes[i] = in.getInt();
    List<Map.Entry<String, String>> out = new ArrayList<>(count);
    int pos = in.position();
    for (int i = 0; i < count; i++) {
      int ks = sizes[2 * i];
      int vs = sizes[2 * i + 1];
      if (ks < 0 || vs < 0 || (long) pos + ks + 1 + vs + 1 > b.length) throw new PluginFailure("host", "the plugin passed a malformed header map");
      String k = new String(b, pos, ks, StandardCharsets.UTF_8);
      pos += ks + 1;
      String v = new String(b, pos, vs, StandardCharsets.UTF_8);
      pos += vs + 1;
      out.add(Map.entry(k, v));
    }
    return out;
  }

  // ---- shared data, timer

  private int getSharedData(int keyPtr, int keySize, int ptrOut, int sizeOut, int casOut) {
    SharedData.Entry e = settings.sharedData().get(readString(keyPtr, keySize));
    if (e == null) return NOT_FOUND;
    give(e.value(), ptrOut, sizeOut);
    return writeI32(casOut, e.cas());
  }

  private int setSharedData(int keyPtr, int keySize, int valuePtr, int valueSize, int cas) {
    String key = readString(keyPtr, keySize);
    return settings.sharedData().set(key, read(valuePtr, valueSize), cas) ? OK : CAS_MISMATCH;
  }

  private int setTickPeriod(long millis) {
    vm.setTickPeriod(millis);
    return OK;
  }

  // ---- HTTP callouts (HttpCallouts)

  /** {@code proxy_http_call}: the request's trailers are not sent (calls go as HTTP/1.1 with a Content-Length). */
  private int httpCall(int upstreamPtr, int upstreamSize, int headersPtr, int headersSize, int bodyPtr, int bodySize,
      long timeoutMillis, int tokenOut) {
    int token = callouts.call(current, readString(upstreamPtr, upstreamSize), deserialize(read(headersPtr, headersSize)),
        read(bodyPtr, bodySize), timeoutMillis);
    if (token < 0) return BAD_ARGUMENT;
    return writeI32(tokenOut, token);
  }

  // ---- stream control

  private int sendLocalResponse(int status, int bodyPtr, int bodySize, int headersPtr, int headersSize) {
    HttpContext c = current;
    if (c == null) return NOT_FOUND;
    if (status < 200 || status > 599) return BAD_ARGUMENT;
    try {
      LocalResponse.Builder r = LocalResponse.builder(status);
      for (Map.Entry<String, String> h : deserialize(read(headersPtr, headersSize))) r.header(h.getKey(), h.getValue());
      c.respond(r.body(read(bodyPtr, bodySize)).build());
    } catch (IllegalArgumentException e) {
      return BAD_ARGUMENT;
    }
    return OK;
  }

  private int continueStream() {
    HttpContext c = current;
    if (c == null) return NOT_FOUND;
    // Called from the paused request's own callback, the request goes on when the callback returns.
    c.resume();
    return OK;
  }

  /**
   * Makes a context the one later calls act on: the root, the current request, or a request the
   * plugin paused (from a tick, to continue or answer it). Lasts until the callback returns.
   */
  private int setEffectiveContext(int id) {
    HttpContext c = current;
    if (id == PluginVm.ROOT_CONTEXT_ID || (c != null && c.id() == id)) return OK;
    HttpContext p = vm.pausedContext(id);
    if (p == null) return NOT_FOUND;
    current = p;
    return OK;
  }

  // ---- metrics

  private int defineMetric(int type, int namePtr, int nameSize, int idOut) {
    try {
      return writeI32(idOut, settings.metrics().define(type, readString(namePtr, nameSize)));
    } catch (IllegalArgumentException | IllegalStateException e) {
      PLUGIN_LOG.warn("{}: proxy_define_metric refused: {}", settings.place(), e.getMessage());
      return BAD_ARGUMENT;
    }
  }

  private int incrementMetric(int id, long offset) {
    PluginMetrics.Metric m = settings.metrics().get(id);
    if (m == null) return NOT_FOUND;
    switch (m.series()) {
      case null -> {}
      case FilterMetrics.Counter c -> {
        if (offset < 0) return BAD_ARGUMENT;
        c.add(offset);
      }
      case FilterMetrics.Gauge g -> g.add(offset);
      default -> {
        return BAD_ARGUMENT;
      }
    }
    return OK;
  }

  private int recordMetric(int id, long value) {
    PluginMetrics.Metric m = settings.metrics().get(id);
    if (m == null) return NOT_FOUND;
    switch (m.series()) {
      case null -> {}
      case FilterMetrics.Counter c -> {
        if (value < 0) return BAD_ARGUMENT;
        c.add(value);
      }
      case FilterMetrics.Gauge g -> g.set(value);
      case FilterMetrics.Histogram h -> h.record(value >= 0 ? value : 0x1p64 + value); // a u64 past Long.MAX_VALUE
      default -> {
        return BAD_ARGUMENT;
      }
    }
    return OK;
  }

  private int getMetric(int id, int valueOut) {
    PluginMetrics.Metric m = settings.metrics().get(id);
    if (m == null) return NOT_FOUND;
    long value;
    switch (m.series()) {
      case null -> value = 0;
      case FilterMetrics.Counter c -> value = c.value();
      case FilterMetrics.Gauge g -> value = g.value();
      default -> {
        return BAD_ARGUMENT;
      }
    }
    memory().writeLong(valueOut, value);
    return OK;
  }

  // ---- shared queues

  private int registerQueue(int namePtr, int nameSize, int tokenOut) {
    int token = SharedQueues.INSTANCE.register(readString(namePtr, nameSize), vm);
    vm.registeredQueue(token);
    return writeI32(tokenOut, token);
  }

  /** The vm_id is not used: Sluice's VMs have no ids, so a queue is found by its name alone. */
  private int resolveQueue(int namePtr, int nameSize, int tokenOut) {
    int token = SharedQueues.INSTANCE.resolve(readString(namePtr, nameSize));
    return token == 0 ? NOT_FOUND : writeI32(tokenOut, token);
  }

  private int enqueue(int token, int dataPtr, int dataSize) {
    SharedQueues.Queue q = SharedQueues.INSTANCE.byToken(token);
    if (q == null) return NOT_FOUND;
    return q.enqueue(read(dataPtr, dataSize)) ? OK : INTERNAL_FAILURE;
  }

  private int dequeue(int token, int ptrOut, int sizeOut) {
    SharedQueues.Queue q = SharedQueues.INSTANCE.byToken(token);
    if (q == null) return NOT_FOUND;
    byte[] item = q.dequeue();
    return item == null ? EMPTY : give(item, ptrOut, sizeOut);
  }
}
