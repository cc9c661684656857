package io.sluice.store.sqlite.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.store.StoreException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

/**
 * A write that finds the disk full says so. A database capped at a few pages ({@code max_page_count})
 * makes SQLite itself report SQLITE_FULL, as it does when the file system has no space left.
 */
class DiskFullTest {
  @TempDir Path dir;

  @Test
  void aWriteThatFillsTheDiskSaysTheDiskHoldingTheDataDirectoryIsFull() {
    try (Database db = Database.open(dir.resolve("sluice.db"), config -> config.setPragma(SQLiteConfig.Pragma.MAX_PAGE_COUNT, "8"))) {
      db.write(1, Instant.EPOCH, "local", "fits", List.of());
      String large = "x".repeat(256 * 1024);

      StoreException e = catchThrowableOfType(StoreException.class, () -> db.write(2, Instant.EPOCH, "local", large, List.of()));

      assertThat(e.getMessage()).startsWith("cannot write revision 2: the disk holding the data directory " + dir.toAbsolutePath()
          + " is full (").contains(" bytes free); free some space there and try again (SQLite: [SQLITE_FULL]");
      assertThat(db.revision()).as("nothing of the failed revision was written").isEqualTo(1);
      db.write(2, Instant.EPOCH, "local", "fits again", List.of());
      assertThat(db.revision()).isEqualTo(2);
    }
  }
}
