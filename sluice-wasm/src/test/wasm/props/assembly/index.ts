// Copies properties into request headers (X-Prop-<name>) and logs the request path at info.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context,
  log, LogLevelValues } from "@solo-io/proxy-runtime";
import { get_property } from "@solo-io/proxy-runtime/runtime";

class PropsRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new PropsContext(context_id, this);
  }
}

function copy(property: string, header: string): void {
  let value = get_property(property);
  stream_context.headers.request.add(header, value.byteLength == 0 ? "-" : String.UTF8.decode(value));
}

class PropsContext extends Context {
  constructor(context_id: u32, root_context: PropsRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    copy("request.path", "x-prop-path");
    copy("request.method", "x-prop-method");
    copy("source.address", "x-prop-source");
    copy("route_name", "x-prop-route");
    copy("listener_name", "x-prop-listener");
    copy("plugin_root_id", "x-prop-root-id");
    stream_context.headers.request.add("x-prop-pseudo-path", stream_context.headers.request.get(":path"));
    log(LogLevelValues.info, "saw " + stream_context.headers.request.get(":method") + " " + stream_context.headers.request.get(":path"));
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new PropsRoot(context_id); }, "props");
