package io.sluice.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectMeta;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.route.PathMatch;
import io.sluice.api.route.RouteMatch;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.store.ChangeSet;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store whose objects no longer form a valid configuration (written under other validation rules,
 * or damaged) opens and reads as it is; a change set is validated with every stored object, so that
 * it can repair them.
 */
class StoredConfigurationThatDoesNotValidateTest {
  @TempDir
  Path dir;

  private static ConfigObject<?> upstream(String name) {
    return new ConfigObject<>(ConfigObject.API_VERSION, Kind.UPSTREAM, ObjectMeta.named(name),
        new UpstreamSpec(List.of(UpstreamSpec.Endpoint.of("127.0.0.1:9001")), null, null, null), "<test>");
  }

  private static ConfigObject<?> route(String name, String upstream) {
    return new ConfigObject<>(ConfigObject.API_VERSION, Kind.ROUTE, ObjectMeta.named(name), new RouteSpec(null, null, null,
        new RouteMatch(PathMatch.prefix("/" + name), null, null, null), upstream, null, null), "<test>");
  }

  @Test
  void isReadAsStoredAndAChangeSetThatRepairsItApplies() throws Exception {
    try (SqliteConfigStore store = SqliteConfigStore.open(dir)) {
      store.apply(ChangeSet.builder().put(upstream("echo")).put(route("r", "echo")).build());
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(SqliteConfigStore.DATABASE_FILE));
        PreparedStatement s = c.prepareStatement("UPDATE versions SET json = ? WHERE kind = 'Route' AND name = 'r'")) {
      s.setString(1, ObjectCodec.toJson(route("r", "missing")));
      assertThat(s.executeUpdate()).isEqualTo(1);
    }

    try (SqliteConfigStore store = SqliteConfigStore.open(dir)) {
      assertThat(store.snapshot().objects()).extracting(ConfigObject::ref).containsExactly("Upstream/echo", "Route/r");
      assertThat(((RouteSpec) store.get(new ObjectRef(Kind.ROUTE, "r")).spec()).upstream()).isEqualTo("missing");

      assertThatExceptionOfType(ConfigException.class)
          .isThrownBy(() -> store.apply(ChangeSet.builder().put(route("other", "echo")).build()))
          .satisfies(e -> assertThat(e.errors()).containsExactly(
              new ConfigError("store:Route/r@1", "Route/r", "spec.upstream", "Upstream 'missing' does not exist")));
      assertThat(store.revision()).isEqualTo(1);

      assertThat(store.apply(ChangeSet.builder().put(route("r", "echo")).build()).revision()).isEqualTo(2);
      assertThat(store.apply(ChangeSet.builder().put(route("other", "echo")).build()).revision()).isEqualTo(3);
      assertThat(store.snapshot().objects()).extracting(ConfigObject::source)
          .containsExactly("store:Upstream/echo@1", "store:Route/other@3", "store:Route/r@2");
    }
  }
}
