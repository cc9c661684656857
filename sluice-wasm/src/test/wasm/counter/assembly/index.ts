// Counts requests in shared data (compare-and-set, so every event loop's VM adds to one count) and
// timer ticks (a tick every 20 ms increments "ticks"); the response carries both as X-Hits, X-Ticks.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "@solo-io/proxy-runtime";
import { set_tick_period_milliseconds } from "@solo-io/proxy-runtime/runtime";
import { free } from "@solo-io/proxy-runtime/malloc";

// The SDK's shared-data wrappers pass the wrong pointers; these are the ABI's functions.
// @ts-ignore: decorator
@external("env", "proxy_get_shared_data")
declare function proxy_get_shared_data(key: usize, key_size: usize, value_out: usize, size_out: usize, cas_out: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_shared_data")
declare function proxy_set_shared_data(key: usize, key_size: usize, value: usize, value_size: usize, cas: u32): u32;

const CAS_MISMATCH: u32 = 8;
let out = new ArrayBuffer(12);
let lastCas: u32 = 0;

function read(key: string): u64 {
  let k = String.UTF8.encode(key);
  let o = changetype<usize>(out);
  lastCas = 0;
  if (proxy_get_shared_data(changetype<usize>(k), k.byteLength, o, o + 4, o + 8) != 0) return 0;
  let ptr = load<u32>(o);
  let size = load<u32>(o + 4);
  lastCas = load<u32>(o + 8);
  let text = String.UTF8.decodeUnsafe(ptr, size);
  free(ptr);
  return U64.parseInt(text);
}

/** Adds one to the number at key with compare-and-set, trying again when another VM got there first. */
function increment(key: string): u64 {
  let k = String.UTF8.encode(key);
  while (true) {
    let next = read(key) + 1;
    let v = String.UTF8.encode(next.toString());
    let r = proxy_set_shared_data(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength, lastCas);
    if (r == 0) return next;
    if (r != CAS_MISMATCH) unreachable();
  }
  return 0;
}

class CounterRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new CounterContext(context_id, this);
  }

  onConfigure(configuration_size: u32): bool {
    super.onConfigure(configuration_size);
    set_tick_period_milliseconds(20);
    return true;
  }

  onTick(): void {
    increment("ticks");
  }
}

class CounterContext extends Context {
  hits: u64 = 0;

  constructor(context_id: u32, root_context: CounterRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    this.hits = increment("hits");
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.response.add("x-hits", this.hits.toString());
    stream_context.headers.response.add("x-ticks", read("ticks").toString());
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new CounterRoot(context_id); }, "counter");
