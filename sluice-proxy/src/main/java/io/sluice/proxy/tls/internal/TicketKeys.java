package io.sluice.proxy.tls.internal;

import io.netty.handler.ssl.OpenSslServerSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The session ticket keys of every OpenSSL server context of the process: a new key every
 * {@link #ROTATION}, the previous one kept so that tickets issued before a rotation still resume
 * (BoringSSL encrypts with the first key and decrypts with any). Keys live only in memory: a restart
 * starts afresh, and old tickets fall back to a full handshake. The JDK provider manages its own
 * ticket keys (see docs). Thread-safe; rotation runs on one daemon thread.
 */
final class TicketKeys {
  static final Duration ROTATION = Duration.ofHours(1);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Set<OpenSslServerSessionContext> CONTEXTS = Collections.newSetFromMap(new WeakHashMap<>());
  private static OpenSslSessionTicketKey[] keys = {newKey(), newKey()};

  static {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sluice-tls-ticket-keys");
      t.setDaemon(true);
      // Control plane: below the event loops (docs/architecture.md, "Threads and priorities").
      t.setPriority(Thread.MIN_PRIORITY);
      return t;
    });
    timer.scheduleAtFixedRate(TicketKeys::rotate, ROTATION.toMinutes(), ROTATION.toMinutes(), TimeUnit.MINUTES);
  }

  private TicketKeys() {}

  /** Gives {@code context} the current keys and keeps it up to date with the rotations to come. */
  static synchronized void register(OpenSslServerSessionContext context) {
    context.setTicketKeys(keys);
    CONTEXTS.add(context);
  }

  private static synchronized void rotate() {
    keys = new OpenSslSessionTicketKey[] {newKey(), keys[0]};
    for (OpenSslServerSessionContext c : CONTEXTS) c.setTicketKeys(keys);
  }

  private static OpenSslSessionTicketKey newKey() {
    byte[] name = new byte[OpenSslSessionTicketKey.NAME_SIZE];
    byte[] hmac = new byte[OpenSslSessionTicketKey.HMAC_KEY_SIZE];
    byte[] aes = new byte[OpenSslSessionTicketKey.AES_KEY_SIZE];
    RANDOM.nextBytes(name);
    RANDOM.nextBytes(hmac);
    RANDOM.nextBytes(aes);
    return new OpenSslSessionTicketKey(name, hmac, aes);
  }
}
