// Trailers: streams the request body untouched; its trailers get X-Wasm-Trailer: saw-<X-Sum> and
// lose X-Drop (on_request_trailers, header map 1).
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterTrailersStatusValues, stream_context } from "@solo-io/proxy-runtime";

class TrailersRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new TrailersContext(context_id, this);
  }
}

class TrailersContext extends Context {
  constructor(context_id: u32, root_context: TrailersRoot) {
    super(context_id, root_context);
  }

  onRequestTrailers(count: u32): FilterTrailersStatusValues {
    stream_context.trailers.request.add("x-wasm-trailer", "saw-" + stream_context.trailers.request.get("x-sum"));
    stream_context.trailers.request.remove("x-drop");
    return FilterTrailersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new TrailersRoot(context_id); }, "trailers");
