package io.sluice.filters.grpcjson;

/**
 * The HTTP status for a gRPC status code, as Google's API gateways and Envoy's
 * {@code grpc_json_transcoder} map them ({@code google.rpc.Code}'s documented HTTP mapping).
 */
final class GrpcStatusHttp {
  private GrpcStatusHttp() {}

  /** The HTTP status of gRPC status {@code code}; 500 for a code outside 0–16. */
  static int of(int code) {
    return switch (code) {
      case 0 -> 200; // OK
      case 1 -> 499; // CANCELLED: client closed request
      case 2 -> 500; // UNKNOWN
      case 3 -> 400; // INVALID_ARGUMENT
      case 4 -> 504; // DEADLINE_EXCEEDED
      case 5 -> 404; // NOT_FOUND
      case 6 -> 409; // ALREADY_EXISTS
      case 7 -> 403; // PERMISSION_DENIED
      case 8 -> 429; // RESOURCE_EXHAUSTED
      case 9 -> 400; // FAILED_PRECONDITION
      case 10 -> 409; // ABORTED
      case 11 -> 400; // OUT_OF_RANGE
      case 12 -> 501; // UNIMPLEMENTED
      case 13 -> 500; // INTERNAL
      case 14 -> 503; // UNAVAILABLE
      case 15 -> 500; // DATA_LOSS
      case 16 -> 401; // UNAUTHENTICATED
      default -> 500;
    };
  }
}
