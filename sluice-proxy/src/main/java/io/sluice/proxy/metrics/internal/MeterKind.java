package io.sluice.proxy.metrics.internal;

import java.util.List;

/** What a meter counts, and so its labels and metric names. */
public enum MeterKind {
  LISTENER(List.of("listener"), "sluice_requests_total", "sluice_gateway_errors_total", "sluice_request_bytes_total",
      "sluice_response_bytes_total", "sluice_request_duration_seconds",
      "Requests by listener and response status code (class: 1xx..5xx).",
      "Responses the gateway made itself, by listener and X-Sluice-Reason code.",
      "Time from the first byte of a request to the end of its response, by listener."),
  ROUTE(List.of("route"), "sluice_route_requests_total", "sluice_route_gateway_errors_total",
      "sluice_route_request_bytes_total", "sluice_route_response_bytes_total", "sluice_route_request_duration_seconds",
      "Requests by route and response status code (class: 1xx..5xx).",
      "Responses the gateway made itself, by route and X-Sluice-Reason code.",
      "Time from the first byte of a request to the end of its response, by route."),
  ENDPOINT(List.of("upstream", "endpoint"), "sluice_upstream_requests_total", "sluice_upstream_errors_total",
      "sluice_upstream_request_bytes_total", "sluice_upstream_response_bytes_total", "sluice_upstream_duration_seconds",
      "Upstream attempts that got a response, by endpoint and status code (class: 1xx..5xx).",
      "Upstream attempts that failed, by endpoint and reason code.",
      "Time from the start of an upstream attempt (connection acquired or being opened) to its end.");

  final List<String> labels;
  final String requests;
  final String errors;
  final String bytesIn;
  final String bytesOut;
  final String duration;
  final String requestsHelp;
  final String errorsHelp;
  final String durationHelp;

  MeterKind(List<String> labels, String requests, String errors, String bytesIn, String bytesOut, String duration,
      String requestsHelp, String errorsHelp, String durationHelp) {
    this.labels = labels;
    this.requests = requests;
    this.errors = errors;
    this.bytesIn = bytesIn;
    this.bytesOut = bytesOut;
    this.duration = duration;
    this.requestsHelp = requestsHelp;
    this.errorsHelp = errorsHelp;
    this.durationHelp = durationHelp;
  }
}
