package io.sluice.api.upstream;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import org.jspecify.annotations.Nullable;

/**
 * How an upstream picks an endpoint for a request.
 *
 * @param policy default {@code round-robin}
 * @param hashOn what the hashing policies ({@code ring-hash}, {@code maglev}) hash: {@code client-ip}
 *     (default), {@code header} (then {@code hashHeader} names it) or {@code path}
 * @param hashHeader the header hashed by {@code header-hash}, and by {@code ring-hash}/{@code maglev}
 *     with {@code hashOn: header}
 */
public record LoadBalancer(Policy policy, HashOn hashOn, @Nullable String hashHeader) {
  @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
  public static final LoadBalancer DEFAULT = new LoadBalancer(null, null, null);

  public LoadBalancer {
    policy = policy == null ? Policy.ROUND_ROBIN : policy;
    hashOn = hashOn == null ? HashOn.CLIENT_IP : hashOn;
  }

  @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
  public static LoadBalancer of(Policy policy) {
    return new LoadBalancer(policy, null, null);
  }

  /** The load-balancing policies. Their names in config are the lower-case, dashed forms. */
  public enum Policy {
    /** Each endpoint in turn, weights ignored. */
    ROUND_ROBIN("round-robin"),
    /** nginx's smooth weighted round-robin: proportional to weight, interleaved. */
    WEIGHTED_ROUND_ROBIN("weighted-round-robin"),
    /** A random endpoint, in proportion to weight. */
    RANDOM("random"),
    /** Power of two choices: of two random endpoints, the one with fewer requests in flight. */
    LEAST_REQUEST("least-request"),
    /** Consistent hash (Maglev table) of the client IP. */
    IP_HASH("ip-hash"),
    /** Consistent hash (Maglev table) of the {@code hashHeader} header. */
    HEADER_HASH("header-hash"),
    /** Ketama-style hash ring over {@code hashOn}. */
    RING_HASH("ring-hash"),
    /** Maglev lookup table over {@code hashOn}. */
    MAGLEV("maglev");

    private final String configName;

    Policy(String configName) {
      this.configName = configName;
    }

    @JsonValue
    public String configName() {
      return configName;
    }

    @JsonCreator
    public static Policy fromConfigName(String name) {
      for (Policy p : values()) {
        if (p.configName.equals(name)) {
          return p;
        }
      }
      throw new IllegalArgumentException("unknown load-balancing policy '" + name + "', expected one of "
          + java.util.Arrays.stream(values()).map(Policy::configName).toList());
    }
  }

  /** The request property a hashing policy hashes. */
  public enum HashOn {
    CLIENT_IP("client-ip"),
    HEADER("header"),
    PATH("path");

    private final String configName;

    HashOn(String configName) {
      this.configName = configName;
    }

    @JsonValue
    public String configName() {
      return configName;
    }

    @JsonCreator
    public static HashOn fromConfigName(String name) {
      for (HashOn h : values()) {
        if (h.configName.equals(name)) {
          return h;
        }
      }
      throw new IllegalArgumentException("unknown hashOn '" + name + "', expected one of client-ip, header, path");
    }
  }
}
