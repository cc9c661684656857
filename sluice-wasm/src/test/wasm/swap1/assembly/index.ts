// hold/assembly/index.ts with the root id "swap" in two versions (swap1: v1, swap2: v2), to test a
// module replaced under an unchanged filter config (a Secret's bytes changed) while a request is in
// flight. A request with X-Hold: 1 counts in the counter metric "held" and pauses; one with
// X-Release: 1 sets the shared data key "release"; every VM's tick (20 ms) continues its paused
// requests once "release" is set, adding the request header X-Held-By: <VERSION>. Responses carry
// X-Module: <VERSION>. swap1 and swap2 differ only in VERSION.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context, continue_request } from "@solo-io/proxy-runtime";
import { set_tick_period_milliseconds } from "@solo-io/proxy-runtime/runtime";
import { free } from "@solo-io/proxy-runtime/malloc";

const VERSION = "v1";
const ROOT_ID = "swap";

// @ts-ignore: decorator
@external("env", "proxy_set_effective_context")
declare function proxy_set_effective_context(context_id: u32): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_shared_data")
declare function proxy_get_shared_data(key: usize, key_size: usize, value_out: usize, size_out: usize, cas_out: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_shared_data")
declare function proxy_set_shared_data(key: usize, key_size: usize, value: usize, value_size: usize, cas: u32): u32;
// @ts-ignore: decorator
@external("env", "proxy_define_metric")
declare function proxy_define_metric(type: u32, name: usize, name_size: usize, id_out: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_increment_metric")
declare function proxy_increment_metric(id: u32, offset: i64): u32;

let out = new ArrayBuffer(12);
let held: u32 = 0;
let waiting: Array<u32> = [];

function released(): bool {
  let k = String.UTF8.encode("release");
  let o = changetype<usize>(out);
  if (proxy_get_shared_data(changetype<usize>(k), k.byteLength, o, o + 4, o + 8) != 0) return false;
  free(load<u32>(o));
  return true;
}

class HoldRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new HoldContext(context_id, this);
  }

  onConfigure(configuration_size: u32): bool {
    super.onConfigure(configuration_size);
    let n = String.UTF8.encode("held");
    if (proxy_define_metric(0, changetype<usize>(n), n.byteLength, changetype<usize>(out)) != 0) return false;
    held = load<u32>(changetype<usize>(out));
    set_tick_period_milliseconds(20);
    return true;
  }

  onTick(): void {
    if (waiting.length == 0 || !released()) return;
    let ids = waiting;
    waiting = [];
    for (let i = 0; i < ids.length; i++) {
      if (proxy_set_effective_context(ids[i]) != 0) continue;
      stream_context.headers.request.add("x-held-by", VERSION);
      continue_request();
    }
  }
}

class HoldContext extends Context {
  constructor(context_id: u32, root_context: HoldRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    if (stream_context.headers.request.get("x-release") == "1") {
      let k = String.UTF8.encode("release");
      let v = String.UTF8.encode("1");
      proxy_set_shared_data(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength, 0);
    }
    if (stream_context.headers.request.get("x-hold") == "1") {
      proxy_increment_metric(held, 1);
      waiting.push(this.context_id);
      return FilterHeadersStatusValues.StopIteration;
    }
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.response.add("x-module", VERSION);
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new HoldRoot(context_id); }, ROOT_ID);
