package io.sluice.proxy.message;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Edits to the header fields of a parsed head, applied when the head is encoded: the head keeps its
 * fields as offsets into the received bytes, so edits are recorded beside it instead of rewriting
 * it. A removal hides every received field of that name; added fields are written after the
 * received ones, in the order they were added. Setting a field is a removal plus an addition.
 *
 * <p>Names are compared in lower case; callers pass the lower-case form along with the name as it
 * is to be written. One instance per connection and direction, cleared per exchange; not thread-safe.
 */
public final class HeaderEdits {
  // Slots past the counts hold "", so that cleared edits keep no strings alive.
  private String[] removed = new String[4];
  private int removedCount;
  private String[] names = new String[4];
  private String[] lowerNames = new String[4];
  private String[] values = new String[4];
  private int addedCount;

  /** Forgets every edit. */
  public void clear() {
    if (removedCount > 0) Arrays.fill(removed, 0, removedCount, "");
    if (addedCount > 0) {
      Arrays.fill(names, 0, addedCount, "");
      Arrays.fill(lowerNames, 0, addedCount, "");
      Arrays.fill(values, 0, addedCount, "");
    }
    removedCount = 0;
    addedCount = 0;
  }

  public boolean isEmpty() {
    return removedCount == 0 && addedCount == 0;
  }

  /** Hides the received fields named {@code lower} and drops the fields of that name added so far. */
  public void remove(String lower) {
    if (!isRemoved(lower)) {
      if (removedCount == removed.length) removed = Arrays.copyOf(removed, removedCount * 2);
      removed[removedCount++] = lower;
    }
    int w = 0;
    for (int r = 0; r < addedCount; r++) {
      if (lowerNames[r].equals(lower)) continue;
      names[w] = names[r];
      lowerNames[w] = lowerNames[r];
      values[w] = values[r];
      w++;
    }
    for (int r = w; r < addedCount; r++) {
      names[r] = "";
      lowerNames[r] = "";
      values[r] = "";
    }
    addedCount = w;
  }

  /** Adds a field, written after the received ones and those added before it. */
  public void add(String name, String lower, String value) {
    if (addedCount == names.length) {
      names = Arrays.copyOf(names, addedCount * 2);
      lowerNames = Arrays.copyOf(lowerNames, addedCount * 2);
      values = Arrays.copyOf(values, addedCount * 2);
    }
    names[addedCount] = name;
    lowerNames[addedCount] = lower;
    values[addedCount] = value;
    addedCount++;
  }

  /** Whether the received fields named {@code lower} are hidden. */
  public boolean isRemoved(String lower) {
    for (int i = 0; i < removedCount; i++) {
      if (removed[i].equals(lower)) return true;
    }
    return false;
  }

  /**
   * Whether the received field whose name is the ISO-8859-1 bytes {@code b[ns, ne)} is hidden: for
   * codecs that keep names as bytes, so that no string is built per field.
   */
  public boolean isRemoved(byte[] b, int ns, int ne) {
    for (int i = 0; i < removedCount; i++) {
      String r = removed[i];
      if (r.length() == ne - ns && equalsIgnoreCase(b, ns, r)) return true;
    }
    return false;
  }

  private static boolean equalsIgnoreCase(byte[] b, int start, String lower) {
    for (int i = 0; i < lower.length(); i++) {
      int c = b[start + i];
      if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
      if (c != lower.charAt(i)) return false;
    }
    return true;
  }

  public int addedCount() {
    return addedCount;
  }

  public String addedName(int i) {
    return names[i];
  }

  public String addedLowerName(int i) {
    return lowerNames[i];
  }

  public String addedValue(int i) {
    return values[i];
  }

  /** The first added value of the field named {@code lower}, or null. */
  public @Nullable String added(String lower) {
    for (int i = 0; i < addedCount; i++) {
      if (lowerNames[i].equals(lower)) return values[i];
    }
    return null;
  }
}
