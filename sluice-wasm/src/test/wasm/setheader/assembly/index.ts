// The benchmark plugin (examples/bench-wasm, sluice-bench's WasmFilterBenchmark): sets the request
// header X-Bench: sluice and the response header X-Served-By: sluice, as the built-in header filter
// does with request: {set: {X-Bench: sluice}}, response: {set: {X-Served-By: sluice}}.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "@solo-io/proxy-runtime";

class SetHeaderRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new SetHeaderContext(context_id, this);
  }
}

class SetHeaderContext extends Context {
  constructor(context_id: u32, root_context: SetHeaderRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.request.replace("x-bench", "sluice");
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.response.replace("x-served-by", "sluice");
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new SetHeaderRoot(context_id); }, "setheader");
