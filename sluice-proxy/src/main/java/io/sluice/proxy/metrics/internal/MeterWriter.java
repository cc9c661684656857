package io.sluice.proxy.metrics.internal;

import io.sluice.proxy.metrics.MetricsOptions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the metric families of the meters of one kind, as {@link MetricsOptions} say: routes by
 * status class or code, with or without latency histograms.
 */
public final class MeterWriter {
  private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};

  private MeterWriter() {}

  public static void write(PrometheusText p, MeterKind kind, List<Meter> meters, MetricsOptions options)
      throws IOException {
    boolean route = kind == MeterKind.ROUTE;
    p.family(kind.requests, "counter", route && options.routeStatusCodes() == MetricsOptions.StatusCodes.CLASS
        ? "Requests by route and response status class (1xx..5xx)." : kind.requestsHelp);
    for (Meter m : meters) {
      if (route && options.routeStatusCodes() == MetricsOptions.StatusCodes.CLASS) {
        byClass(p, kind, m);
        continue;
      }
      CodeSlots slots = m.slots();
      for (int i = 0; i < CodeSlots.STATUS_SLOTS; i++) {
        int status = slots.status(i);
        if (status == 0) continue;
        long n = m.sum(Meter.STATUSES + i);
        if (n > 0) p.sample(kind.requests, kind.labels, m.labels, n, "code", Integer.toString(status), "class", Meter.statusClass(status));
      }
      for (int k = 0; k < 6; k++) {
        long n = m.sum(Meter.STATUS_OTHER + k);
        if (n > 0) p.sample(kind.requests, kind.labels, m.labels, n, "code", "other", "class", k < 5 ? (k + 1) + "xx" : "other");
      }
    }
    p.family(kind.errors, "counter", kind.errorsHelp);
    for (Meter m : meters) {
      CodeSlots slots = m.slots();
      for (int i = 0; i < CodeSlots.REASON_SLOTS; i++) {
        String reason = slots.reason(i);
        if (reason == null) continue;
        long n = m.sum(Meter.REASONS + i);
        if (n > 0) p.sample(kind.errors, kind.labels, m.labels, n, "reason", reason);
      }
      long other = m.sum(Meter.REASON_OTHER);
      if (other > 0) p.sample(kind.errors, kind.labels, m.labels, other, "reason", "other");
    }
    counter(p, kind.bytesIn, "Request bytes received (head and body).", kind, meters, Meter.BYTES_IN);
    counter(p, kind.bytesOut, "Response bytes sent (head and body).", kind, meters, Meter.BYTES_OUT);
    if (!route || options.routeHistograms()) {
      histogram(p, kind.duration, kind.durationHelp, kind, meters, Meter.PROMETHEUS, Meter.DURATION_SUM);
    }
    if (route) grpc(p, meters);
    if (kind == MeterKind.ENDPOINT) {
      String acquired = "sluice_upstream_connections_acquired_total";
      p.family(acquired, "counter", "Connections upstream attempts got: reused from the loop's pool, or newly opened.");
      for (Meter m : meters) {
        p.sample(acquired, kind.labels, m.labels, m.sum(Meter.ACQUIRED_REUSED), "result", "reused");
        p.sample(acquired, kind.labels, m.labels, m.sum(Meter.ACQUIRED_NEW), "result", "new");
      }
      histogram(p, "sluice_upstream_connect_duration_seconds",
          "Time an upstream attempt waited for a new connection to be established (the pool's wait).",
          kind, meters, Meter.CONNECT_PROMETHEUS, Meter.CONNECT_SUM);
    }
    if (kind == MeterKind.LISTENER) {
      counter(p, "sluice_access_log_dropped_total",
          "Access log entries dropped because the writer's queue was full.", kind, meters, Meter.DROPPED);
    }
  }

  /**
   * {@code sluice_grpc_requests_total{route, grpc_status}}: gRPC calls by the status they ended
   * with, written only when some route has seen one, so that HTTP-only gateways show nothing new.
   */
  private static void grpc(PrometheusText p, List<Meter> meters) throws IOException {
    String name = "sluice_grpc_requests_total";
    boolean any = false;
    long[] n = new long[Meter.GRPC_CODES];
    for (Meter m : meters) {
      m.sum(Meter.GRPC, Meter.GRPC_CODES, n);
      for (int k = 0; k < n.length; k++) {
        if (n[k] == 0) continue;
        if (!any) {
          p.family(name, "counter", "gRPC calls by route and the grpc-status they ended with (the upstream's or the gateway's).");
          any = true;
        }
        p.sample(name, MeterKind.ROUTE.labels, m.labels, n[k], "grpc_status", k < Meter.GRPC_CODES - 1 ? Integer.toString(k) : "other");
      }
    }
  }

  /** A meter's requests by status class: the codes with a slot and those without, added up. */
  private static void byClass(PrometheusText p, MeterKind kind, Meter m) throws IOException {
    long[] n = new long[CLASSES.length];
    m.sum(Meter.STATUS_OTHER, CLASSES.length, n);
    CodeSlots slots = m.slots();
    for (int i = 0; i < CodeSlots.STATUS_SLOTS; i++) {
      int status = slots.status(i);
      if (status != 0) n[Meter.statusClassIndex(status)] += m.sum(Meter.STATUSES + i);
    }
    for (int k = 0; k < CLASSES.length; k++) {
      if (n[k] > 0) p.sample(kind.requests, kind.labels, m.labels, n[k], "class", CLASSES[k]);
    }
  }

  private static void counter(PrometheusText p, String name, String help, MeterKind kind, List<Meter> meters, int index)
      throws IOException {
    p.family(name, "counter", help);
    for (Meter m : meters) p.sample(name, kind.labels, m.labels, m.sum(index));
  }

  private static void histogram(PrometheusText p, String name, String help, MeterKind kind, List<Meter> meters,
      int buckets, int sumIndex) throws IOException {
    p.family(name, "histogram", help);
    long[] counts = new long[Buckets.PROMETHEUS_COUNT];
    List<String> names = new ArrayList<>(kind.labels);
    for (Meter m : meters) {
      m.sum(buckets, Buckets.PROMETHEUS_COUNT, counts);
      long cumulative = 0;
      for (int i = 0; i < counts.length; i++) {
        cumulative += counts[i];
        p.sample(name + "_bucket", names, m.labels, cumulative, "le", PrometheusText.le(i));
      }
      p.sample(name + "_sum", names, m.labels, m.sum(sumIndex) / 1e9);
      p.sample(name + "_count", names, m.labels, cumulative);
    }
  }
}
