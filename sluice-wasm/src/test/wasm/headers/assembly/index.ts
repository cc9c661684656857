// Edits headers both ways: adds X-Wasm-Request (the plugin's configuration) and removes
// X-Remove-Me on the request; adds X-Wasm-Response and removes X-Upstream on the response.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "@solo-io/proxy-runtime";

class HeadersRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new HeadersContext(context_id, this);
  }
}

class HeadersContext extends Context {
  constructor(context_id: u32, root_context: HeadersRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.request.add("x-wasm-request", this.root_context.getConfiguration());
    stream_context.headers.request.remove("x-remove-me");
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.response.add("x-wasm-response", "yes");
    stream_context.headers.response.remove("x-upstream");
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new HeadersRoot(context_id); }, "headers");
