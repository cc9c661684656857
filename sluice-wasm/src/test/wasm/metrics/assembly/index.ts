// Emits metrics: the counter "requests" counts every request, the histogram "request_size" records
// the number in the request's X-Size header, the gauge "last_size" is set to it. The response
// carries the counter as the plugin reads it back (X-Requests), through proxy_get_metric.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "@solo-io/proxy-runtime";

// The SDK's metric wrappers call the wrong functions (get_metric calls proxy_record_metric); these
// are the ABI's.
// @ts-ignore: decorator
@external("env", "proxy_define_metric")
declare function proxy_define_metric(type: u32, name: usize, name_size: usize, id_out: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_increment_metric")
declare function proxy_increment_metric(id: u32, offset: i64): u32;
// @ts-ignore: decorator
@external("env", "proxy_record_metric")
declare function proxy_record_metric(id: u32, value: u64): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_metric")
declare function proxy_get_metric(id: u32, value_out: usize): u32;

const COUNTER: u32 = 0;
const GAUGE: u32 = 1;
const HISTOGRAM: u32 = 2;
let out = new ArrayBuffer(8);

function define(type: u32, name: string): u32 {
  let n = String.UTF8.encode(name);
  if (proxy_define_metric(type, changetype<usize>(n), n.byteLength, changetype<usize>(out)) != 0) unreachable();
  return load<u32>(changetype<usize>(out));
}

let requests: u32 = 0;
let size: u32 = 0;
let last: u32 = 0;

class MetricsRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new MetricsContext(context_id, this);
  }

  onConfigure(configuration_size: u32): bool {
    super.onConfigure(configuration_size);
    requests = define(COUNTER, "requests");
    size = define(HISTOGRAM, "request_size");
    last = define(GAUGE, "last_size");
    return true;
  }
}

class MetricsContext extends Context {
  constructor(context_id: u32, root_context: MetricsRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    proxy_increment_metric(requests, 1);
    let s = stream_context.headers.request.get("x-size");
    if (s != "") {
      let v = U64.parseInt(s);
      proxy_record_metric(size, v);
      proxy_record_metric(last, v);
    }
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    if (proxy_get_metric(requests, changetype<usize>(out)) != 0) unreachable();
    stream_context.headers.response.add("x-requests", load<u64>(changetype<usize>(out)).toString());
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new MetricsRoot(context_id); }, "metrics");
