package io.sluice.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code packaging/sluice.service}, as shipped in the release archive. */
class SystemdUnitIT {
  @TempDir
  Path dir;

  @Test
  void unitParsesWithItsExecStartInTheUnpackedArchive() throws Exception {
    assumeTrue(Distribution.onPath("systemd-analyze"), "systemd-analyze is not installed: the unit is not verified (apt-get install systemd)");
    Path home = Distribution.unpack(dir.resolve("opt"));
    // systemd-analyze verify also checks that ExecStart's program exists: point it at the unpacked archive.
    String unit = Files.readString(home.resolve("packaging/sluice.service")).replace("/opt/sluice/", home + "/");
    Path copy = dir.resolve("sluice.service");
    Files.writeString(copy, unit);

    Process p = new ProcessBuilder("systemd-analyze", "verify", copy.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    // verify exits 0 on unknown keys and bad values too; it says so on its output, which must be empty.
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(out).isEmpty();
  }

  @Test
  void unitSandboxesTheServiceAndGrantsOnlyLowPorts() throws Exception {
    Map<String, String> service = section(Files.readString(Path.of("..", "packaging", "sluice.service")), "Service");

    assertThat(service).containsEntry("ExecStart", "/opt/sluice/bin/sluice serve --config-dir /etc/sluice --data-dir /var/lib/sluice")
        .containsEntry("DynamicUser", "yes")
        .containsEntry("StateDirectory", "sluice")
        .containsEntry("NoNewPrivileges", "yes")
        .containsEntry("ProtectSystem", "strict")
        .containsEntry("ReadWritePaths", "/var/lib/sluice")
        .containsEntry("ProtectHome", "yes")
        .containsEntry("PrivateTmp", "yes")
        .containsEntry("CapabilityBoundingSet", "CAP_NET_BIND_SERVICE")
        .containsEntry("AmbientCapabilities", "CAP_NET_BIND_SERVICE")
        .containsEntry("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX")
        .containsEntry("SystemCallFilter", "@system-service")
        .doesNotContainKey("MemoryDenyWriteExecute");
  }

  private static Map<String, String> section(String unit, String name) {
    Map<String, String> keys = new LinkedHashMap<>();
    String current = "";
    for (String line : unit.lines().map(String::strip).toList()) {
      if (line.isEmpty() || line.startsWith("#")) continue;
      if (line.startsWith("[")) {
        current = line.substring(1, line.length() - 1);
      } else if (current.equals(name)) {
        int eq = line.indexOf('=');
        keys.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return keys;
  }
}
