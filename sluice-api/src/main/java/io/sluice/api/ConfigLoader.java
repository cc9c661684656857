package io.sluice.api;

import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.filter.FilterConfigValidator;
import io.sluice.api.validate.PathPolicy;
import io.sluice.api.validate.Validator;
import java.io.File;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Reads a config directory: every {@code *.yaml}, {@code *.yml} and {@code *.json} file below it. */
public final class ConfigLoader {
  private ConfigLoader() {}

  /**
   * Loads and validates every object under {@code dir}: recursively, in path order, skipping files
   * and folders whose name starts with a dot (editor backups, the {@code ..data} links of a mounted
   * Kubernetes ConfigMap). {@code configured} may be or pass through symlinks; it is read as the
   * directory it resolves to. An object's source is its file relative to it, with {@code /}
   * separators, and the line its document starts on: {@code routes/shop.yaml:12}.
   *
   * <p>Nothing is thrown before every file is read: the exception carries the decoding errors of
   * all files and the validation errors of the objects that could be decoded. A reference to an
   * object that exists but could not be decoded is not reported as dangling; that object's own
   * errors say what to fix.
   *
   * @throws ConfigException with every decoding and validation error, each naming its file
   * @throws IOException when the directory cannot be listed or a file cannot be read
   */
  public static ConfigSet loadDirectory(Path dir) throws ConfigException, IOException {
    return loadDirectory(dir, PathPolicy.DEFAULT);
  }

  /**
   * {@link #loadDirectory(Path)} with the files the objects name checked against {@code paths}
   * (the set is valid under it, see {@link ConfigSet#paths}).
   */
  public static ConfigSet loadDirectory(Path configured, PathPolicy paths) throws ConfigException, IOException {
    // A walk does not enter a symlink it starts at: through a link to a directory it would find nothing.
    Path dir = configured.toRealPath();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(p -> !isHidden(dir.relativize(p)))
          .filter(Files::isRegularFile)
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
      String source = dir.relativize(f).toString().replace(File.separatorChar, '/');
      try {
        String text = Files.readString(f);
        // The readable documents of a file with a broken one are still validated below.
        objects.addAll(source.endsWith(".json") ? ObjectCodec.readJson(source, text, errors)
            : ObjectCodec.readYaml(source, text, errors));
      } catch (CharacterCodingException e) {
        errors.add(new ConfigError(source, "?", "", "not valid UTF-8; expected a UTF-8 text file"));
      }
    }
    if (errors.isEmpty()) return ConfigSet.of(objects, paths);
    Set<String> unreadable = errors.stream().map(ConfigError::object).collect(Collectors.toSet());
    errors.addAll(Validator.validate(objects, unreadable, FilterConfigValidator.installed(), paths));
    throw new ConfigException(errors);
  }

  private static boolean isHidden(Path relative) {
    for (Path part : relative) {
      if (part.toString().startsWith(".")) return true;
    }
    return false;
  }
}
