package io.sluice.server.cli;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigObject;
import io.sluice.api.codec.ObjectCodec;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The objects of {@code -f} arguments: files, directories (every {@code .yaml}, {@code .yml} and
 * {@code .json} below them, hidden ones skipped, in path order) and {@code -} for stdin. Read
 * locally, strictly, with every error naming its file and line, before anything is sent.
 *
 * @param objects in the order read
 * @param sources each object by {@code Kind/name}, as read: its {@link ConfigObject#sourceOf} names the
 *     local place ({@code dir/routes.yaml:9:11}) of an error the server reports about one of its fields
 */
record ObjectFiles(List<ConfigObject<?>> objects, Map<String, ConfigObject<?>> sources) {

  /** Reads every argument; throws a {@link CliException} listing every error of every file. */
  static ObjectFiles read(List<String> args, InputStream stdin) {
    List<ConfigObject<?>> objects = new ArrayList<>();
    List<ConfigError> errors = new ArrayList<>();
    for (String arg : args) {
      if (arg.equals("-")) {
        String text;
        try {
          text = new String(stdin.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new CliException("error: cannot read stdin: " + e.getMessage());
        }
        String t = text.stripLeading();
        boolean json = t.startsWith("{") || t.startsWith("[");
        objects.addAll(json ? ObjectCodec.readJson("<stdin>", text, errors) : ObjectCodec.readYaml("<stdin>", text, errors));
        continue;
      }
      Path path = Path.of(arg);
      if (Files.isDirectory(path)) {
        for (Path f : filesUnder(path)) readFile(f, path.resolve(path.relativize(f)).toString().replace(File.separatorChar, '/'), objects, errors);
      } else {
        readFile(path, arg, objects, errors);
      }
    }
    if (!errors.isEmpty()) {
      List<String> lines = new ArrayList<>(errors.stream().map(ConfigError::toString).toList());
      lines.add("error: " + errors.size() + " error(s) in " + String.join(", ", args) + "; nothing was sent");
      throw new CliException(1, lines);
    }
    if (objects.isEmpty()) throw new CliException("error: no objects in " + String.join(", ", args));
    Map<String, ConfigObject<?>> sources = new LinkedHashMap<>();
    for (ConfigObject<?> o : objects) sources.putIfAbsent(o.ref(), o);
    return new ObjectFiles(List.copyOf(objects), sources);
  }

  private static void readFile(Path file, String source, List<ConfigObject<?>> objects, List<ConfigError> errors) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new CliException("error: " + source + ": no such file or directory");
    } catch (CharacterCodingException e) {
      errors.add(new ConfigError(source, "?", "", "not valid UTF-8; expected a UTF-8 text file"));
      return;
    } catch (IOException e) {
      throw new CliException("error: cannot read " + source + ": " + e.getMessage());
    }
    objects.addAll(source.endsWith(".json") ? ObjectCodec.readJson(source, text, errors) : ObjectCodec.readYaml(source, text, errors));
  }

  private static List<Path> filesUnder(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> !hidden(dir.relativize(p)))
          .filter(Files::isRegularFile)
          .filter(p -> {
            String n = p.getFileName().toString();
            return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
          })
          .sorted()
          .toList();
    } catch (IOException | UncheckedIOException e) {
      throw new CliException("error: cannot list " + dir + ": " + e.getMessage());
    }
  }

  private static boolean hidden(Path relative) {
    for (Path part : relative) {
      if (part.toString().startsWith(".")) return true;
    }
    return false;
  }

  /** The objects as the JSON array the apply endpoint takes. */
  String toJsonArray() {
    StringBuilder sb = new StringBuilder("[");
    for (ConfigObject<?> o : objects) {
      if (sb.length() > 1) sb.append(',');
      sb.append(ObjectCodec.toJson(o));
    }
    return sb.append(']').toString();
  }
}
