// Rewrites a streamed response body piece by piece: every ASCII lower-case letter of each piece
// becomes upper-case as it passes (Continue, nothing held). The last call appends "\ncalls=N", N the
// calls that came before the end of the stream, so a test can see the body came in pieces.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterDataStatusValues } from "@solo-io/proxy-runtime";
import { get_buffer_bytes, BufferTypeValues } from "@solo-io/proxy-runtime/runtime";

// The SDK declares proxy_set_buffer_bytes under the wrong import name; declare it here.
// @ts-ignore: decorator
@external("env", "proxy_set_buffer_bytes")
declare function proxy_set_buffer_bytes(typ: u32, start: u32, length: u32, data: usize, size: usize): u32;

class ChunksRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new ChunksContext(context_id, this);
  }
}

class ChunksContext extends Context {
  calls: u32 = 0;

  constructor(context_id: u32, root_context: ChunksRoot) {
    super(context_id, root_context);
  }

  onResponseBody(body_buffer_length: usize, end_of_stream: bool): FilterDataStatusValues {
    let piece = get_buffer_bytes(BufferTypeValues.HttpResponseBody, 0, body_buffer_length as u32);
    let bytes = Uint8Array.wrap(piece);
    for (let i = 0; i < bytes.length; i++) {
      let c = bytes[i];
      if (c >= 97 && c <= 122) bytes[i] = c - 32;
    }
    let out = piece;
    if (end_of_stream) {
      let tail = String.UTF8.encode("\ncalls=" + this.calls.toString());
      let joined = new Uint8Array(piece.byteLength + tail.byteLength);
      joined.set(bytes, 0);
      joined.set(Uint8Array.wrap(tail), piece.byteLength);
      out = joined.buffer;
    } else {
      this.calls++;
    }
    proxy_set_buffer_bytes(BufferTypeValues.HttpResponseBody, 0, body_buffer_length as u32,
      changetype<usize>(out), out.byteLength);
    return FilterDataStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new ChunksRoot(context_id); }, "chunks");
