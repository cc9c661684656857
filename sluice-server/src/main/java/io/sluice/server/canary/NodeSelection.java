package io.sluice.server.canary;

import io.sluice.admin.CanaryControl;
import io.sluice.store.NodeRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves a canary's selector to data-plane nodes, once, when the canary starts: a label selector
 * ({@code zone=a,tier=edge}: every label equal, as a Listener's {@code nodeSelector}) or a percentage
 * ({@code 10%}: that share of the data-plane nodes, rounded up, at least one). A percentage takes the
 * nodes in the order of the SHA-256 of their ids, so the same fleet gives the same nodes, and a
 * larger percentage the same nodes and more. Stateless.
 */
final class NodeSelection {
  private static final Pattern PERCENT = Pattern.compile("(\\d{1,9})%");
  private static final Pattern LABEL = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._/-]*)=([A-Za-z0-9._-]*)");

  private NodeSelection() {}

  /**
   * The ids of the nodes {@code selector} selects among the data-plane nodes of {@code fleet}, sorted.
   *
   * @throws CanaryControl.Refused when the selector is malformed, or selects no node or every node
   */
  static List<String> resolve(String selector, List<NodeRecord> fleet) {
    List<NodeRecord> dataPlane = fleet.stream().filter(CanaryJudge::servesTraffic).toList();
    List<String> all = dataPlane.stream().map(NodeRecord::id).sorted().toList();
    List<String> chosen;
    Matcher p = PERCENT.matcher(selector);
    if (p.matches()) {
      int percent = Integer.parseInt(p.group(1));
      if (percent < 1 || percent > 99) throw invalid(selector, "a percentage from 1% to 99%");
      int count = Math.max(1, (int) Math.ceil(dataPlane.size() * percent / 100.0));
      chosen = dataPlane.stream().map(NodeRecord::id).sorted(Comparator.comparing(NodeSelection::digest)).limit(count).sorted().toList();
    } else {
      Map<String, String> labels = new LinkedHashMap<>();
      for (String part : selector.split(",", -1)) {
        Matcher m = LABEL.matcher(part.strip());
        if (!m.matches()) {
          throw invalid(selector, "key=value[,key=value...] such as zone=a (every label equal), or a percentage such as 10%");
        }
        labels.put(m.group(1), m.group(2));
      }
      chosen = dataPlane.stream().filter(n -> labels.entrySet().stream().allMatch(e -> e.getValue().equals(n.labels().get(e.getKey()))))
          .map(NodeRecord::id).sorted().toList();
    }
    if (chosen.isEmpty()) {
      throw new CanaryControl.Refused(CanaryControl.Refused.Status.INVALID, "no_canary_nodes", "canary selector '" + selector
          + "' selects none of the data-plane nodes (" + describe(dataPlane) + "); nothing was started");
    }
    if (chosen.size() == all.size()) {
      throw new CanaryControl.Refused(CanaryControl.Refused.Status.INVALID, "canary_selects_every_node", "canary selector '"
          + selector + "' selects every data-plane node (" + String.join(", ", all) + "): that is an apply, not a canary; apply"
          + " without --canary, or select fewer nodes; nothing was started");
    }
    return chosen;
  }

  private static CanaryControl.Refused invalid(String selector, String expected) {
    return new CanaryControl.Refused(CanaryControl.Refused.Status.INVALID, "invalid_canary_selector",
        "canary selector '" + selector + "': expected " + expected);
  }

  private static String describe(List<NodeRecord> nodes) {
    if (nodes.isEmpty()) return "there are none";
    List<String> out = new ArrayList<>();
    for (NodeRecord n : nodes) {
      List<String> labels = new ArrayList<>();
      n.labels().forEach((k, v) -> labels.add(k + "=" + v));
      out.add(n.id() + (labels.isEmpty() ? "" : " " + String.join(",", labels)));
    }
    return String.join("; ", out);
  }

  private static String digest(String id) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
