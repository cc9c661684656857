// Rewrites the response body once it is whole: every "upstream" becomes "wasm".
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterDataStatusValues } from "@solo-io/proxy-runtime";
import { get_buffer_bytes, BufferTypeValues, WasmResultValues } from "@solo-io/proxy-runtime/runtime";

// The SDK declares proxy_set_buffer_bytes under the wrong import name; declare it here.
// @ts-ignore: decorator
@external("env", "proxy_set_buffer_bytes")
declare function proxy_set_buffer_bytes(typ: u32, start: u32, length: u32, data: usize, size: usize): u32;

class BodyRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new BodyContext(context_id, this);
  }
}

class BodyContext extends Context {
  constructor(context_id: u32, root_context: BodyRoot) {
    super(context_id, root_context);
  }

  onResponseBody(body_buffer_length: usize, end_of_stream: bool): FilterDataStatusValues {
    if (!end_of_stream) {
      return FilterDataStatusValues.StopIterationAndBuffer;
    }
    let body = String.UTF8.decode(get_buffer_bytes(BufferTypeValues.HttpResponseBody, 0, body_buffer_length as u32));
    let rewritten = String.UTF8.encode(body.replaceAll("upstream", "wasm"));
    proxy_set_buffer_bytes(BufferTypeValues.HttpResponseBody, 0, body_buffer_length as u32,
      changetype<usize>(rewritten), rewritten.byteLength);
    return FilterDataStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new BodyRoot(context_id); }, "body");
