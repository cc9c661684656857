// Answers 403 locally unless the request carries the token the configuration names.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context,
  send_local_response, GrpcStatusValues, HeaderPair, Headers } from "@solo-io/proxy-runtime";

class AuthRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new AuthContext(context_id, this);
  }
}

class AuthContext extends Context {
  constructor(context_id: u32, root_context: AuthRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    let token = stream_context.headers.request.get("x-token");
    if (token == this.root_context.getConfiguration()) {
      return FilterHeadersStatusValues.Continue;
    }
    let headers: Headers = [];
    headers.push(new HeaderPair(String.UTF8.encode("x-denied-by"), String.UTF8.encode("wasm")));
    headers.push(new HeaderPair(String.UTF8.encode("content-type"), String.UTF8.encode("text/plain")));
    send_local_response(403, "denied", String.UTF8.encode("denied by wasm"), headers, GrpcStatusValues.Unknown);
    return FilterHeadersStatusValues.StopIteration;
  }
}

registerRootContext((context_id: u32) => { return new AuthRoot(context_id); }, "auth");
