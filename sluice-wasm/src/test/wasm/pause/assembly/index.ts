// Pauses every request and lets the next timer tick resume it: the tick makes the paused request's
// context effective, adds X-Resumed-By: tick and continues it. X-Deny: 1 is answered 429 by the tick.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context,
  send_local_response, GrpcStatusValues, Headers, continue_request } from "@solo-io/proxy-runtime";
import { set_tick_period_milliseconds } from "@solo-io/proxy-runtime/runtime";

// @ts-ignore: decorator
@external("env", "proxy_set_effective_context")
declare function proxy_set_effective_context(context_id: u32): u32;

let waiting: Array<u32> = [];

class PauseRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new PauseContext(context_id, this);
  }

  onConfigure(configuration_size: u32): bool {
    super.onConfigure(configuration_size);
    set_tick_period_milliseconds(20);
    return true;
  }

  onTick(): void {
    let ids = waiting;
    waiting = [];
    for (let i = 0; i < ids.length; i++) {
      if (proxy_set_effective_context(ids[i]) != 0) continue;
      if (stream_context.headers.request.get("x-deny") == "1") {
        let headers: Headers = [];
        send_local_response(429, "denied", String.UTF8.encode("denied on tick"), headers, GrpcStatusValues.Unknown);
        continue;
      }
      stream_context.headers.request.add("x-resumed-by", "tick");
      continue_request();
    }
  }
}

class PauseContext extends Context {
  constructor(context_id: u32, root_context: PauseRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    waiting.push(this.context_id);
    return FilterHeadersStatusValues.StopIteration;
  }
}

registerRootContext((context_id: u32) => { return new PauseRoot(context_id); }, "pause");
