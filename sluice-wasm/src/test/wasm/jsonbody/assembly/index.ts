// Rewrites a JSON request body: the value of its "name" field gets the prefix "wasm:". Asks for the
// whole body as Envoy plugins do: StopIterationAndBuffer until end_of_stream, so it works whether
// the host streams the body (each piece comes back with the next) or hands it over buffered.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterDataStatusValues } from "@solo-io/proxy-runtime";
import { get_buffer_bytes, BufferTypeValues } from "@solo-io/proxy-runtime/runtime";

// The SDK declares proxy_set_buffer_bytes under the wrong import name; declare it here.
// @ts-ignore: decorator
@external("env", "proxy_set_buffer_bytes")
declare function proxy_set_buffer_bytes(typ: u32, start: u32, length: u32, data: usize, size: usize): u32;

const FIELD = "\"name\":\"";

class JsonRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new JsonContext(context_id, this);
  }
}

class JsonContext extends Context {
  constructor(context_id: u32, root_context: JsonRoot) {
    super(context_id, root_context);
  }

  onRequestBody(body_buffer_length: usize, end_of_stream: bool): FilterDataStatusValues {
    if (!end_of_stream) {
      return FilterDataStatusValues.StopIterationAndBuffer;
    }
    let body = String.UTF8.decode(get_buffer_bytes(BufferTypeValues.HttpRequestBody, 0, body_buffer_length as u32));
    let at = body.indexOf(FIELD);
    if (at < 0) {
      return FilterDataStatusValues.Continue;
    }
    let start = at + FIELD.length;
    let rewritten = String.UTF8.encode(body.substring(0, start) + "wasm:" + body.substring(start));
    proxy_set_buffer_bytes(BufferTypeValues.HttpRequestBody, 0, body_buffer_length as u32,
      changetype<usize>(rewritten), rewritten.byteLength);
    return FilterDataStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new JsonRoot(context_id); }, "jsonbody");
