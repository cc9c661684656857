package io.sluice.fielddocs;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.PackageElement;
import javax.lang.model.element.TypeElement;
import javax.tools.Diagnostic;
import javax.tools.FileObject;
import javax.tools.StandardLocation;

/**
 * Copies the {@code @param} lines of every record's javadoc into a resource next to the record's
 * class, {@code <BinarySimpleName>.fields} (e.g. {@code UpstreamSpec$Endpoint.fields}), one line
 * per component: {@code name<TAB>description}, after a first line {@code <TAB>summary} with the
 * record's own first sentence. The description is the javadoc text on one line,
 * with {@code {@code x}} and {@code {@link x}} written as Markdown code ({@code `x`}), as the README
 * writes it. So a field's description has one source, the javadoc where the component is declared,
 * and {@code sluice explain} (through {@code io.sluice.api.schema.FieldDocs}) prints that.
 *
 * <p>Claims no annotation and changes no class; runs on every root element of a compilation.
 */
public final class FieldDocProcessor extends AbstractProcessor {
  private static final Pattern PARAM = Pattern.compile("(?m)^\\s*@param\\s+(\\S+)\\s+");
  private static final Pattern NEXT_TAG = Pattern.compile("(?m)^\\s*@\\w+");
  private static final Pattern INLINE = Pattern.compile("\\{@(?:code|literal|link|linkplain)\\s+([^{}]*(?:\\{[^{}]*\\}[^{}]*)*)\\}");

  @Override
  public Set<String> getSupportedAnnotationTypes() {
    return Set.of("*");
  }

  @Override
  public SourceVersion getSupportedSourceVersion() {
    return SourceVersion.latestSupported();
  }

  @Override
  public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
    for (Element e : round.getRootElements()) visit(e);
    return false;
  }

  private void visit(Element e) {
    if (e instanceof TypeElement type) {
      if (type.getKind() == ElementKind.RECORD) write(type);
      for (Element inner : type.getEnclosedElements()) visit(inner);
    }
  }

  private void write(TypeElement record) {
    String doc = processingEnv.getElementUtils().getDocComment(record);
    if (doc == null) return;
    Map<String, String> params = params(doc);
    if (params.isEmpty()) return;
    PackageElement pkg = processingEnv.getElementUtils().getPackageOf(record);
    String binary = processingEnv.getElementUtils().getBinaryName(record).toString();
    String simple = pkg.isUnnamed() ? binary : binary.substring(pkg.getQualifiedName().length() + 1);
    try {
      FileObject out = processingEnv.getFiler().createResource(StandardLocation.CLASS_OUTPUT,
          pkg.getQualifiedName(), simple + ".fields", record);
      try (Writer w = new java.io.OutputStreamWriter(out.openOutputStream(), StandardCharsets.UTF_8)) {
        w.write("\t" + summary(doc) + "\n");
        for (Map.Entry<String, String> p : params.entrySet()) w.write(p.getKey() + "\t" + p.getValue() + "\n");
      }
    } catch (IOException ex) {
      processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, "cannot write the field docs of " + binary + ": " + ex, record);
    }
  }

  /** Each {@code @param}'s name and text (on one line, inline tags as Markdown code), in order. */
  static Map<String, String> params(String doc) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = PARAM.matcher(doc);
    int from = 0;
    while (m.find(from)) {
      String name = m.group(1);
      Matcher next = NEXT_TAG.matcher(doc);
      int end = next.find(m.end()) ? next.start() : doc.length();
      out.put(name, text(doc.substring(m.end(), end)));
      from = end;
    }
    return out;
  }

  /** The javadoc's first sentence (up to the first ". " or the first block tag or paragraph). */
  static String summary(String doc) {
    Matcher tag = NEXT_TAG.matcher(doc);
    String main = tag.find() ? doc.substring(0, tag.start()) : doc;
    int p = main.indexOf("<p>");
    if (p >= 0) main = main.substring(0, p);
    int pre = main.indexOf("<pre>");
    if (pre >= 0) main = main.substring(0, pre);
    String text = text(main);
    int dot = text.indexOf(". ");
    return dot < 0 ? text : text.substring(0, dot + 1);
  }

  static String text(String raw) {
    String s = INLINE.matcher(raw).replaceAll(r -> Matcher.quoteReplacement("`" + r.group(1) + "`"));
    s = s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("&#64;", "@");
    return s.replaceAll("\\s+", " ").strip();
  }
}
