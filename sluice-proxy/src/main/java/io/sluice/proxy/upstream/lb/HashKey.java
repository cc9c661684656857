package io.sluice.proxy.upstream.lb;

import io.sluice.api.upstream.LoadBalancer.HashOn;
import io.sluice.proxy.route.RequestView;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The request property a hashing balancer hashes.
 *
 * @param on which property
 * @param header the lower-case header name when {@code on} is {@link HashOn#HEADER}, else null
 */
record HashKey(HashOn on, @Nullable String header) {
  static final HashKey CLIENT_IP = new HashKey(HashOn.CLIENT_IP, null);
  static final HashKey PATH = new HashKey(HashOn.PATH, null);

  HashKey {
    if ((on == HashOn.HEADER) != (header != null)) {
      throw new IllegalArgumentException("a header name goes with hashOn header, and only with it");
    }
  }

  static HashKey header(String lowerCaseName) {
    return new HashKey(HashOn.HEADER, Objects.requireNonNull(lowerCaseName, "lowerCaseName"));
  }

  /** The key of {@code request}, or null when it has none (the header is missing). */
  @Nullable String of(RequestView request) {
    return switch (on) {
      case CLIENT_IP -> request.clientIp();
      case PATH -> request.path();
      case HEADER -> request.header(Objects.requireNonNull(header));
    };
  }
}
