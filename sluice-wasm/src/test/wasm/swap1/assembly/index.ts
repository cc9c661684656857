// One of two modules with the same root id ("swap") and different effects, to test a module
// replaced under an unchanged filter config (a Secret's bytes changed): the request gets
// X-Module-Seen: v1 and the response X-Module: v1. swap1 and swap2 differ only in VERSION.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "@solo-io/proxy-runtime";

const VERSION = "v1";

class SwapRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new SwapContext(context_id, this);
  }
}

class SwapContext extends Context {
  constructor(context_id: u32, root_context: SwapRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.request.replace("x-module-seen", VERSION);
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.response.replace("x-module", VERSION);
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new SwapRoot(context_id); }, "swap");
