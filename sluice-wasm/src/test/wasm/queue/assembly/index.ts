// Shared queues: every VM registers the queue "sluice-test-queue" when it starts. A request with
// X-Enqueue: v resolves the queue and enqueues v; the registrant's on_queue_ready dequeues every
// item and appends it to the shared data key "dequeued" (comma-separated), which any request reads
// back as the response header X-Dequeued.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "@solo-io/proxy-runtime";
import { free } from "@solo-io/proxy-runtime/malloc";

// The SDK's queue and shared-data wrappers pass the wrong pointers; these are the ABI's functions.
// @ts-ignore: decorator
@external("env", "proxy_register_shared_queue")
declare function proxy_register_shared_queue(name: usize, name_size: usize, token_out: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_resolve_shared_queue")
declare function proxy_resolve_shared_queue(vm_id: usize, vm_id_size: usize, name: usize, name_size: usize, token_out: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_enqueue_shared_queue")
declare function proxy_enqueue_shared_queue(token: u32, data: usize, data_size: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_dequeue_shared_queue")
declare function proxy_dequeue_shared_queue(token: u32, data_out: usize, size_out: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_shared_data")
declare function proxy_get_shared_data(key: usize, key_size: usize, value_out: usize, size_out: usize, cas_out: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_shared_data")
declare function proxy_set_shared_data(key: usize, key_size: usize, value: usize, value_size: usize, cas: u32): u32;

const QUEUE = "sluice-test-queue";
let out = new ArrayBuffer(12);

function getShared(key: string): string {
  let k = String.UTF8.encode(key);
  let o = changetype<usize>(out);
  if (proxy_get_shared_data(changetype<usize>(k), k.byteLength, o, o + 4, o + 8) != 0) return "";
  let ptr = load<u32>(o);
  let text = String.UTF8.decodeUnsafe(ptr, load<u32>(o + 4));
  free(ptr);
  return text;
}

function setShared(key: string, value: string): void {
  let k = String.UTF8.encode(key);
  let v = String.UTF8.encode(value);
  proxy_set_shared_data(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength, 0);
}

class QueueRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new QueueContext(context_id, this);
  }

  onConfigure(configuration_size: u32): bool {
    super.onConfigure(configuration_size);
    let n = String.UTF8.encode(QUEUE);
    return proxy_register_shared_queue(changetype<usize>(n), n.byteLength, changetype<usize>(out)) == 0;
  }

  onQueueReady(token: u32): void {
    let o = changetype<usize>(out);
    while (proxy_dequeue_shared_queue(token, o, o + 4) == 0) {
      let ptr = load<u32>(o);
      let item = String.UTF8.decodeUnsafe(ptr, load<u32>(o + 4));
      free(ptr);
      let seen = getShared("dequeued");
      setShared("dequeued", seen == "" ? item : seen + "," + item);
    }
  }
}

class QueueContext extends Context {
  constructor(context_id: u32, root_context: QueueRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    let item = stream_context.headers.request.get("x-enqueue");
    if (item != "") {
      let vm = String.UTF8.encode("");
      let n = String.UTF8.encode(QUEUE);
      let o = changetype<usize>(out);
      if (proxy_resolve_shared_queue(changetype<usize>(vm), 0, changetype<usize>(n), n.byteLength, o) != 0) unreachable();
      let data = String.UTF8.encode(item);
      if (proxy_enqueue_shared_queue(load<u32>(o), changetype<usize>(data), data.byteLength) != 0) unreachable();
    }
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.response.add("x-dequeued", getShared("dequeued"));
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new QueueRoot(context_id); }, "queue");
