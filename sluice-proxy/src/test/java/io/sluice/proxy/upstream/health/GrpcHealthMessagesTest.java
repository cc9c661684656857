package io.sluice.proxy.upstream.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The hand-encoded health messages read and write what protobuf-java does. */
class GrpcHealthMessagesTest {
  @Test
  void encodesTheRequestAsProtobufDoesInGrpcFraming() throws Exception {
    String service = "x".repeat(200);
    byte[] framed = GrpcHealthMessages.request(service);
    assertThat(framed[0]).isZero();
    assertThat(HealthCheckRequest.parseFrom(Arrays.copyOfRange(framed, 5, framed.length)).getService()).isEqualTo(service);
    assertThat(Unpooled.wrappedBuffer(framed).getInt(1)).isEqualTo(framed.length - 5);
    assertThat(GrpcHealthMessages.request("")).containsExactly(0, 0, 0, 0, 0);
  }

  @Test
  void readsEachServingStatusAndRefusesMalformedAnswers() {
    for (HealthCheckResponse.ServingStatus s : new HealthCheckResponse.ServingStatus[] {
        HealthCheckResponse.ServingStatus.UNKNOWN, HealthCheckResponse.ServingStatus.SERVING,
        HealthCheckResponse.ServingStatus.NOT_SERVING, HealthCheckResponse.ServingStatus.SERVICE_UNKNOWN}) {
      byte[] m = HealthCheckResponse.newBuilder().setStatus(s).build().toByteArray();
      byte[] framed = new byte[5 + m.length];
      framed[4] = (byte) m.length;
      System.arraycopy(m, 0, framed, 5, m.length);
      assertThat(GrpcHealthMessages.servingStatus(Unpooled.wrappedBuffer(framed))).isEqualTo(s.getNumber());
    }
    assertThat(GrpcHealthMessages.servingStatus(Unpooled.wrappedBuffer(new byte[] {1, 0, 0, 0, 2, 8, 1})))
        .isEqualTo(GrpcHealthMessages.MALFORMED);
    assertThat(GrpcHealthMessages.servingStatus(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 0, 3, 8, 1})))
        .isEqualTo(GrpcHealthMessages.MALFORMED);
    assertThat(GrpcHealthMessages.servingStatus(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 0, 1, 8})))
        .isEqualTo(GrpcHealthMessages.MALFORMED);
  }
}
