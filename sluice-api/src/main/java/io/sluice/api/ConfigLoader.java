package io.sluice.api;

import io.sluice.api.codec.ObjectCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Reads a config directory: every {@code *.yaml}, {@code *.yml} and {@code *.json} file below it. */
public final class ConfigLoader {
  private ConfigLoader() {}

  /**
   * Loads and validates every object under {@code dir} (recursively, in path order, hidden files
   * and folders skipped). Errors of all files are collected before anything is thrown.
   *
   * @throws ConfigException with every decoding and validation error, each naming its file
   * @throws IOException when a file cannot be read
   */
  public static ConfigSet loadDirectory(Path dir) throws ConfigException, IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(Files::isRegularFile)
          .filter(p -> !isHidden(dir.relativize(p)))
          .filter(p -> {
            String n = p.getFileName().toString();
            return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
          })
          .sorted()
          .toList();
    }
    List<ConfigObject<?>> objects = new ArrayList<>();
    List<ConfigError> errors = new ArrayList<>();
    for (Path f : files) {
      String source = dir.relativize(f).toString();
      String text = Files.readString(f);
      try {
        objects.addAll(source.endsWith(".json") ? ObjectCodec.readJson(source, text) : ObjectCodec.readYaml(source, text));
      } catch (ConfigException e) {
        errors.addAll(e.errors());
      }
    }
    if (!errors.isEmpty()) throw new ConfigException(errors);
    return ConfigSet.of(objects);
  }

  private static boolean isHidden(Path relative) {
    for (Path part : relative) {
      if (part.toString().startsWith(".")) return true;
    }
    return false;
  }
}
