package io.sluice.api;

import io.sluice.api.consumer.ConsumerSpec;
import io.sluice.api.function.FunctionSpec;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.pipeline.GlobalFilterSpec;
import io.sluice.api.pipeline.PipelineSpec;
import io.sluice.api.plugin.PluginSpec;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.secret.SecretSpec;
import io.sluice.api.upstream.UpstreamSpec;

/**
 * The kinds of configuration object, each with the class its {@code spec} binds to.
 *
 * <p>The declaration order is the dependency order in which a change set is applied (DESIGN §2): an
 * object only refers to kinds declared before it, so no request ever sees a route whose upstream is
 * not there yet. Filter configs may name Consumers, routes name Pipelines, and GlobalFilters name
 * Listeners, hence Consumer and Pipeline before Route, and GlobalFilter after them. A Function names an
 * Upstream, and filter configs name Functions, hence Function between them; a Webhook names a
 * Secret and nothing names it. Filter lists name Plugins (a kind {@code plugin/type}) and Plugins name
 * nothing, hence Plugin first with Secret. Listeners name Secrets
 * (their certificates), which name nothing, hence Secret first. (A Route names the
 * Listeners it is served on, but a Listener serves nothing until a route is there, so a Route may
 * come first.)
 */
public enum Kind {
  SECRET("Secret", SecretSpec.class),
  PLUGIN("Plugin", PluginSpec.class),
  UPSTREAM("Upstream", UpstreamSpec.class),
  FUNCTION("Function", FunctionSpec.class),
  CONSUMER("Consumer", ConsumerSpec.class),
  PIPELINE("Pipeline", PipelineSpec.class),
  ROUTE("Route", RouteSpec.class),
  LISTENER("Listener", ListenerSpec.class),
  GLOBAL_FILTER("GlobalFilter", GlobalFilterSpec.class),
  WEBHOOK("Webhook", io.sluice.api.webhook.WebhookSpec.class);

  private final String displayName;
  private final Class<? extends Spec> specClass;

  Kind(String displayName, Class<? extends Spec> specClass) {
    this.displayName = displayName;
    this.specClass = specClass;
  }

  /** The name used in the {@code kind} field of an object, e.g. {@code Route}. */
  public String displayName() {
    return displayName;
  }

  public Class<? extends Spec> specClass() {
    return specClass;
  }

  /** Returns the kind named {@code name} (as written in {@code kind:}), or null when there is none. */
  public static @org.jspecify.annotations.Nullable Kind fromName(String name) {
    for (Kind k : values()) {
      if (k.displayName.equals(name)) {
        return k;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return displayName;
  }
}
