package io.sluice.api.validate;

import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.secret.SecretSpec;
import io.sluice.api.webhook.WebhookSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;

/** The checks of a Webhook's spec, each error naming its field. Stateless. */
final class WebhookChecks {
  private WebhookChecks() {}

  static void check(BiConsumer<String, String> error, WebhookSpec w, BiPredicate<Kind, String> exists,
      Map<String, ConfigObject<?>> byRef) {
    String url = w.url();
    if (url == null || url.isBlank()) {
      error.accept("spec.url", "missing; expected the http:// or https:// URL events are POSTed to");
    } else {
      try {
        URI u = new URI(url);
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
          error.accept("spec.url", "expected an absolute http:// or https:// URL with a host, got '" + url + "'");
        }
      } catch (URISyntaxException e) {
        error.accept("spec.url", "not a valid URL: " + e.getMessage());
      }
    }
    String secret = w.secret();
    if (secret == null || secret.isBlank()) {
      error.accept("spec.secret", "missing; expected the name of a Secret whose spec.value signs the deliveries");
    } else if (!exists.test(Kind.SECRET, secret)) {
      error.accept("spec.secret", "no Secret named '" + secret + "'");
    } else {
      ConfigObject<?> s = byRef.get(Kind.SECRET.displayName() + "/" + secret);
      if (s != null && s.spec() instanceof SecretSpec spec && spec.value() == null) {
        error.accept("spec.secret", "Secret '" + secret + "' has no spec.value; a webhook is signed with a Secret's value");
      }
    }
    for (int i = 0; i < w.events().size(); i++) {
      String e = w.events().get(i);
      boolean known = e.equals("*") || WebhookSpec.EVENTS.contains(e)
          || (e.endsWith(".*") && WebhookSpec.EVENTS.stream().anyMatch(t -> t.startsWith(e.substring(0, e.length() - 1))));
      if (!known) {
        error.accept("spec.events[" + i + "]", "unknown event '" + e + "'; expected one of " + String.join(", ", WebhookSpec.EVENTS)
            + ", or a prefix with * such as change.*");
      }
    }
    if (!w.format().equals(WebhookSpec.JSON) && !w.format().equals(WebhookSpec.SLACK)) {
      error.accept("spec.format", "expected json or slack, got '" + w.format() + "'");
    }
    if (w.retries() < 0 || w.retries() > 10) error.accept("spec.retries", "expected 0 to 10, got " + w.retries());
    if (w.retryBackoff().compareTo(Duration.ofMillis(10)) < 0 || w.retryBackoff().compareTo(Duration.ofMinutes(10)) > 0) {
      error.accept("spec.retryBackoff", "expected 10ms to 10m, got " + w.retryBackoff());
    }
  }
}
