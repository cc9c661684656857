package io.sluice.proxy.internal;

import io.sluice.api.secret.SecretSpec;
import io.sluice.api.validate.PathPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the files a Secret names look like now (path, size, modification time, file key), so that a
 * file replaced on disk is told from the one a TLS context was built from without reading it.
 */
final class SecretFiles {
  private SecretFiles() {}

  /** A stamp of each file {@code spec} names, in field order; a file that cannot be read has a stamp saying so. */
  static List<String> stamps(SecretSpec spec, PathPolicy paths) {
    SecretSpec.Tls tls = spec.tls();
    List<String> out = new ArrayList<>();
    if (tls == null) return out;
    for (@Nullable String f : new String[] {tls.certificateFile(), tls.privateKeyFile(), tls.caFile()}) {
      if (f == null) continue;
      Path p = paths.resolve(PathPolicy.Directory.CERTS, f);
      try {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        out.add(p + " " + a.size() + " " + a.lastModifiedTime().toMillis() + " " + a.fileKey());
      } catch (IOException e) {
        out.add(p + " unreadable: " + e.getMessage());
      }
    }
    return out;
  }
}
