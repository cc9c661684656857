// Asks an authorisation Upstream (its name is the plugin configuration) about each request, with
// proxy_http_call, and allows or denies the request on its answer:
//   GET /check with the request's x-token -> 200 with x-user: the request goes on with x-user set;
//   any other status -> 403 "denied: <status> <body>"; no answer (failure, timeout) -> 503.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context,
  send_local_response, GrpcStatusValues, HeaderPair, Headers, WasmResultValues, LogLevelValues, log }
  from "@solo-io/proxy-runtime";
import { get_buffer_bytes, BufferTypeValues } from "@solo-io/proxy-runtime/runtime";

class CalloutRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new CalloutContext(context_id, this);
  }
}

function pair(name: string, value: string): HeaderPair {
  return new HeaderPair(String.UTF8.encode(name), String.UTF8.encode(value));
}

function answered(origin: Context, headers: u32, body_size: usize, trailers: u32): void {
  if (headers == 0) {
    let h: Headers = [];
    h.push(pair("content-type", "text/plain"));
    send_local_response(503, "unavailable", String.UTF8.encode("authz unavailable"), h, GrpcStatusValues.Unknown);
    return;
  }
  let status = stream_context.headers.http_callback.get(":status");
  if (status == "200") {
    let user = stream_context.headers.http_callback.get("x-user");
    stream_context.headers.request.add("x-user", user);
    origin.continueRequest();
    return;
  }
  let body = String.UTF8.decode(get_buffer_bytes(BufferTypeValues.HttpCallResponseBody, 0, body_size as u32));
  let h: Headers = [];
  h.push(pair("content-type", "text/plain"));
  send_local_response(403, "denied", String.UTF8.encode("denied: " + status + " " + body), h, GrpcStatusValues.Unknown);
}

class CalloutContext extends Context {
  constructor(context_id: u32, root_context: CalloutRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    let headers: Headers = [];
    headers.push(pair(":method", "GET"));
    headers.push(pair(":path", "/check"));
    headers.push(pair(":authority", "authz.internal"));
    headers.push(pair("x-token", stream_context.headers.request.get("x-token")));
    let root = this.root_context;
    let result = root.httpCall(root.getConfiguration(), headers, new ArrayBuffer(0), [], 2000, this, answered);
    if (result != WasmResultValues.Ok) {
      log(LogLevelValues.warn, "http call refused: " + result.toString());
      let h: Headers = [];
      send_local_response(500, "callout refused", String.UTF8.encode("callout refused: " + result.toString()), h, GrpcStatusValues.Unknown);
    }
    return FilterHeadersStatusValues.StopIteration;
  }
}

registerRootContext((context_id: u32) => { return new CalloutRoot(context_id); }, "callout");
