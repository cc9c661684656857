package io.sluice.admin.internal;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import io.sluice.api.ConfigObject;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Unified diffs of an object's YAML before and after a change, as {@code diff -u} prints them, with
 * the revision left out of both sides (it always changes and says nothing about the content).
 * The file names say which version each side is: {@code Route/orders@12} (stored at revision 12),
 * {@code Route/orders@13} (applied at 13), {@code Route/orders (new)} (a dry run's result),
 * {@code Route/orders (none)} (did not exist) and {@code Route/orders (deleted)}.
 */
public final class Diffs {
  private static final int CONTEXT_LINES = 3;

  private Diffs() {}

  /**
   * The diff, or an empty string when both sides read the same.
   *
   * @param redacted write both sides with their credentials hidden ({@link ObjectCodec#toRedactedYaml}),
   *     for readers who may not see them; a change of a credential alone then reads as no difference
   */
  public static String unified(ObjectRef ref, @Nullable ConfigObject<?> before, @Nullable ConfigObject<?> after, boolean dryRun,
      boolean redacted) {
    List<String> a = lines(before, redacted);
    List<String> b = lines(after, redacted);
    if (a.equals(b)) return "";
    String from = before == null ? ref + " (none)" : ref + "@" + before.metadata().revision();
    String to = after == null ? ref + " (deleted)" : dryRun || after.metadata().revision() == 0 ? ref + " (new)" : ref + "@" + after.metadata().revision();
    Patch<String> patch = DiffUtils.diff(a, b);
    List<String> out = new ArrayList<>(UnifiedDiffUtils.generateUnifiedDiff(from, to, a, patch, CONTEXT_LINES));
    // diff -u numbers an empty side's range 0,0 (java-diff-utils writes 1,0), which patch tools expect.
    if (a.isEmpty()) out.set(2, out.get(2).replace("@@ -1,0 ", "@@ -0,0 "));
    if (b.isEmpty()) out.set(2, out.get(2).replace(" +1,0 @@", " +0,0 @@"));
    return String.join("\n", out) + "\n";
  }

  private static List<String> lines(@Nullable ConfigObject<?> o, boolean redacted) {
    if (o == null) return List.of();
    ConfigObject<?> bare = withoutRevision(o);
    return (redacted ? ObjectCodec.toRedactedYaml(bare) : ObjectCodec.toYaml(bare)).lines().toList();
  }

  /** {@code o} with {@code metadata.revision} 0, as it is sent to the store for a plain put. */
  public static <S extends io.sluice.api.Spec> ConfigObject<S> withoutRevision(ConfigObject<S> o) {
    return new ConfigObject<>(o.apiVersion(), o.kind(), o.metadata().withRevision(0), o.spec(), o.source());
  }
}
