// Misbehaves on purpose when the request has X-Misbehave: "trap" executes unreachable, "loop"
// spins forever, "oom" allocates until memory runs out. Without it, adds X-Behaved: yes.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "@solo-io/proxy-runtime";

class MisbehaveRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new MisbehaveContext(context_id, this);
  }
}

let spins: u64 = 0;
let hoard: Array<ArrayBuffer> = [];

class MisbehaveContext extends Context {
  constructor(context_id: u32, root_context: MisbehaveRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    let what = stream_context.headers.request.get("x-misbehave");
    if (what == "trap") {
      unreachable();
    }
    if (what == "loop") {
      while (true) {
        spins++;
      }
    }
    if (what == "oom") {
      while (true) {
        hoard.push(new ArrayBuffer(1 << 20));
      }
    }
    stream_context.headers.request.add("x-behaved", "yes");
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new MisbehaveRoot(context_id); }, "misbehave");
