package io.sluice.api;

import java.util.HashMap;
import java.util.Map;

/**
 * Which stored objects a config directory ({@code sluice serve --config-dir}) owns: those carrying
 * the annotation {@value #ANNOTATION}{@code : }{@value #OWNER}. Only the directory writes it; the
 * admin API refuses to change an owned object unless forced, and a forced change removes it (the
 * object is then the API's). Diffs leave the annotation out: a file never carries it, so it would
 * otherwise show as a difference between every file and its stored object.
 */
public final class ConfigDirOwnership {
  /** The annotation that marks an object as the config directory's. */
  public static final String ANNOTATION = "sluice.io/managed-by";
  /** The annotation's value, and the author of the directory's revisions. */
  public static final String OWNER = "config-dir";

  private ConfigDirOwnership() {}

  /** Whether the config directory owns {@code o}. */
  public static boolean owned(ConfigObject<?> o) {
    return OWNER.equals(o.metadata().annotations().get(ANNOTATION));
  }

  /** {@code o} stamped as the directory's, with revision 0 (the directory is the source of truth: no precondition). */
  public static <S extends Spec> ConfigObject<S> stamped(ConfigObject<S> o) {
    Map<String, String> annotations = new HashMap<>(o.metadata().annotations());
    annotations.put(ANNOTATION, OWNER);
    ObjectMeta m = o.metadata();
    return new ConfigObject<>(o.apiVersion(), o.kind(), new ObjectMeta(m.name(), m.labels(), annotations, 0), o.spec(), o.source(),
        o.fields());
  }

  /** {@code o} without the annotation (the same instance when it has none), its revision kept. */
  public static <S extends Spec> ConfigObject<S> unstamped(ConfigObject<S> o) {
    if (!o.metadata().annotations().containsKey(ANNOTATION)) return o;
    Map<String, String> annotations = new HashMap<>(o.metadata().annotations());
    annotations.remove(ANNOTATION);
    ObjectMeta m = o.metadata();
    return new ConfigObject<>(o.apiVersion(), o.kind(), new ObjectMeta(m.name(), m.labels(), annotations, m.revision()), o.spec(),
        o.source(), o.fields());
  }
}
