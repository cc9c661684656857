"""grpcio peer for the gateway's gRPC tests: the test.Echo service (messages are UTF-8 text, no protoc).

  echo.py server            serves test.Echo on 127.0.0.1 (a free port), prints "port N", runs until stdin closes
  echo.py unary ADDR TEXT   calls test.Echo/Unary through ADDR, prints the reply (or "status CODE MESSAGE")
  echo.py chat ADDR A B ... calls test.Echo/Chat, sending each argument after the reply to the previous one
"""
import sys
import threading
from concurrent import futures

import grpc

ident = lambda b: b


def unary(request, context):
    text = request.decode()
    if text.startswith("fail:"):
        context.abort(grpc.StatusCode.NOT_FOUND, text[5:])
    return ("py-echo:" + text).encode()


def chat(requests, context):
    for r in requests:
        yield ("py-re:" + r.decode()).encode()


def serve():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary, request_deserializer=ident, response_serializer=ident),
        "Chat": grpc.stream_stream_rpc_method_handler(chat, request_deserializer=ident, response_serializer=ident),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Echo", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("port %d" % port, flush=True)
    sys.stdin.read()
    server.stop(0)


def call_unary(addr, text):
    with grpc.insecure_channel(addr) as ch:
        stub = ch.unary_unary("/test.Echo/Unary", request_serializer=ident, response_deserializer=ident)
        try:
            print(stub(text.encode(), timeout=10).decode(), flush=True)
        except grpc.RpcError as e:
            print("status %s %s" % (e.code().name, e.details()), flush=True)


def call_chat(addr, messages):
    with grpc.insecure_channel(addr) as ch:
        stub = ch.stream_stream("/test.Echo/Chat", request_serializer=ident, response_deserializer=ident)
        replied = threading.Semaphore(0)

        def requests():
            for m in messages:
                yield m.encode()
                # The next message goes only after the reply to this one: the call must stream both ways.
                if not replied.acquire(timeout=10):
                    return

        for reply in stub(requests(), timeout=20):
            print(reply.decode(), flush=True)
            replied.release()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve()
    elif sys.argv[1] == "unary":
        call_unary(sys.argv[2], sys.argv[3])
    else:
        call_chat(sys.argv[2], sys.argv[3:])
