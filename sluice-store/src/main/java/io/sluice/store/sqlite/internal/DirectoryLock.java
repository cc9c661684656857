package io.sluice.store.sqlite.internal;

import io.sluice.store.StoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a data directory ({@code sluice.lock} in it, holding the owner's process id),
 * so that two processes never write one database: SQLite's own locking keeps the file consistent,
 * but two stores on one file would each keep a stale copy of the current objects. The operating
 * system drops the lock when the process dies, however it dies.
 */
public final class DirectoryLock implements AutoCloseable {
  public static final String FILE_NAME = "sluice.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock at once or fails.
   *
   * @throws StoreException when another process (or another store in this one) holds it
   */
  public static DirectoryLock acquire(Path dir) {
    Path file = dir.resolve(FILE_NAME);
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new StoreException("cannot open the lock file " + file + ": " + e.getMessage(), e);
    }
    try {
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null; // held by this very process, through another channel
      }
      if (lock == null) {
        String holder = holder(file);
        channel.close();
        throw new StoreException("the data directory " + dir + " is in use: another sluice"
            + (holder.isEmpty() ? "" : " (process " + holder + ")") + " holds its lock " + file
            + "; stop it or use another data directory");
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
      return new DirectoryLock(channel, lock);
    } catch (IOException e) {
      try {
        channel.close();
      } catch (IOException c) {
        e.addSuppressed(c);
      }
      throw new StoreException("cannot lock the data directory " + dir + ": " + e.getMessage(), e);
    }
  }

  private static String holder(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      throw new StoreException("cannot release the lock " + lock + ": " + e.getMessage(), e);
    }
  }
}
