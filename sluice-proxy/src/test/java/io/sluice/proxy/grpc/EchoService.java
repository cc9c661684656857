package io.sluice.proxy.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A tiny gRPC service for the tests, {@code test.Echo}, with hand-written method descriptors and a
 * bytes marshaller (messages are UTF-8 text; no protobuf): one method per call kind, a call that
 * fails with a status, one that never answers, and a server stream that waits for the client.
 */
final class EchoService {
  static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  static final MethodDescriptor<String, String> UNARY = method("Unary", MethodDescriptor.MethodType.UNARY);
  static final MethodDescriptor<String, String> COLLECT = method("Collect", MethodDescriptor.MethodType.CLIENT_STREAMING);
  static final MethodDescriptor<String, String> REPEAT = method("Repeat", MethodDescriptor.MethodType.SERVER_STREAMING);
  static final MethodDescriptor<String, String> CHAT = method("Chat", MethodDescriptor.MethodType.BIDI_STREAMING);
  static final MethodDescriptor<String, String> NEVER = method("Never", MethodDescriptor.MethodType.SERVER_STREAMING);

  /** Released by a test once the first message of a {@code Repeat} call has reached its client. */
  final CountDownLatch firstReceived = new CountDownLatch(1);
  /** Counted down when a call of {@code Never} is cancelled by its client. */
  final CountDownLatch cancelled = new CountDownLatch(1);
  /** Counted down when a call of {@code Never} reaches the service. */
  final CountDownLatch neverStarted = new CountDownLatch(1);
  volatile boolean lastSent;

  static MethodDescriptor<String, String> method(String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<String, String>newBuilder().setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Echo", name))
        .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();
  }

  ServerServiceDefinition definition() {
    return ServerServiceDefinition.builder("test.Echo")
        .addMethod(UNARY, ServerCalls.asyncUnaryCall((req, out) -> {
          if (req.startsWith("fail:")) {
            out.onError(Status.NOT_FOUND.withDescription(req.substring(5)).asRuntimeException());
            return;
          }
          out.onNext("echo:" + req);
          out.onCompleted();
        }))
        .addMethod(COLLECT, ServerCalls.asyncClientStreamingCall(out -> new StreamObserver<>() {
          private final StringBuilder all = new StringBuilder();

          @Override
          public void onNext(String value) {
            all.append(value).append(',');
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            out.onNext(all.toString());
            out.onCompleted();
          }
        }))
        .addMethod(REPEAT, ServerCalls.asyncServerStreamingCall((req, out) -> {
          // "count:size": count messages of size bytes; the rest only after the client has the first.
          String[] p = req.split(":");
          int count = Integer.parseInt(p[0]);
          String body = "x".repeat(Integer.parseInt(p[1]));
          new Thread(() -> {
            out.onNext("0:" + body);
            try {
              if (!firstReceived.await(10, TimeUnit.SECONDS)) {
                out.onError(Status.ABORTED.withDescription("the first message never arrived").asRuntimeException());
                return;
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
            for (int i = 1; i < count; i++) out.onNext(i + ":" + body);
            lastSent = true;
            out.onCompleted();
          }).start();
        }))
        .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(out -> new StreamObserver<>() {
          @Override
          public void onNext(String value) {
            out.onNext("re:" + value);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            out.onCompleted();
          }
        }))
        .addMethod(NEVER, ServerCalls.asyncServerStreamingCall((req, out) -> {
          ((ServerCallStreamObserver<String>) out).setOnCancelHandler(cancelled::countDown);
          neverStarted.countDown();
        }))
        .build();
  }
}
