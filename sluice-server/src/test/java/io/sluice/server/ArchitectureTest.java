package io.sluice.server;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.freeze.FreezingArchRule;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The package rules of docs/architecture.md ("Rules the build checks"), over the main classes of
 * every module (this module's test class path sees them all). Rules that today's code breaks are
 * frozen: the violations of the day are in {@code src/test/resources/archunit_store}, a new one
 * fails, and one that is fixed leaves the store.
 */
class ArchitectureTest {
  /**
   * The classes that read and write HTTP/1.1 on a connection, the codec's intended users: the
   * server and client connections, the health checker's probe connection, and the route test,
   * which parses its request as a listener would.
   */
  private static final List<String> CODEC_USERS = List.of(
      "io.sluice.proxy.internal.DownstreamHandler", "io.sluice.proxy.internal.UpstreamConnection",
      "io.sluice.proxy.upstream.health.HealthChecker", "io.sluice.proxy.Gateway",
      "io.sluice.proxy.internal.H2cUpgrade");

  /** The data plane's runtime package (DataPlane, RuntimeSnapshot, the connections). */
  private static final String RUNTIME = "io.sluice.proxy.internal";

  private static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        // sluice-proxy's test-jar is on this class path too
        .withImportOption(location -> !location.contains("-tests.jar"))
        .importPackages("io.sluice");
  }

  @Test
  void internalPackagesAreUsedOnlyByTheirParentPackageTree() {
    ArchRule rule = classes().should(useInternalPackagesOnlyOfTheirOwnTree())
        .because("X.internal is the implementation of X: code outside X and its subpackages goes through X's public types");
    FreezingArchRule.freeze(rule).check(classes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"api", "store", "proxy", "admin", "filters", "server"})
  void subpackagesOfAModuleHaveNoCycles(String module) {
    // The module's root package (io.sluice.api's ConfigObject and Kind, Gateway, ConfigStore) is
    // not a slice: it is the module's face, which its subpackages implement and return, so cycles
    // through it are by design. A slice is a feature with everything below it (filter with
    // filter.internal, route with route.internal and route.split): a feature's public types and its
    // internals call each other by design (the SPI's types are implemented inside). Cycles between
    // features are not allowed, and not frozen: a description of a cycle lists every dependency in
    // it, so a frozen one would break on any edit.
    slices().matching("io.sluice." + module + ".(*)..").should().beFreeOfCycles()
        .as("features of sluice-" + module + " should be free of cycles")
        // Known, each one direction of a cycle, to be removed: the filter runtime's FilterChains
        // throws the runtime's ObjectCompileException; SecretMaterial takes validate's PathPolicy.
        .ignoreDependency(resideInAPackage("io.sluice.proxy.filter.."), resideInAPackage("io.sluice.proxy.internal.."))
        .ignoreDependency(resideInAPackage("io.sluice.api.secret.."), resideInAPackage("io.sluice.api.validate.."))
        .check(classes);
  }

  @Test
  void http1CodecIsUsedOnlyByTheConnectionClasses() {
    ArchRule rule = noClasses().that().resideOutsideOfPackage("io.sluice.proxy.http1..")
        .and(DescribedPredicate.not(isOrIsNestedIn(CODEC_USERS)))
        .should().dependOnClassesThat().resideInAPackage("io.sluice.proxy.http1..")
        .because("the HTTP/1.1 codec is the connections' business: everything else sees requests and responses through the filter SPI and the runtime");
    FreezingArchRule.freeze(rule).check(classes);
  }

  @Test
  void apiDependsOnNoNetty() {
    noClasses().that().resideInAPackage("io.sluice.api..")
        .should().dependOnClassesThat().resideInAPackage("io.netty..")
        .because("sluice-api holds the objects, codecs and validation that the CLI and the store use without a data plane")
        .check(classes);
  }

  @Test
  void adminApiDependsOnNoDataPlane() {
    noClasses().that().resideInAPackage("io.sluice.admin..")
        .should().dependOnClassesThat().resideInAPackage("io.sluice.proxy..")
        .because("the server hands the admin API the route tester, status, metrics and stats as functions")
        .check(classes);
  }

  @Test
  void filterSpiDependsOnNoDataPlaneAndNoInternalPackage() {
    noClasses().that().resideInAPackage("io.sluice.filter..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.netty..", "io.opentelemetry..", "io.github.resilience4j..", "..internal..", "io.sluice.proxy..")
        .because("the filter SPI (sluice-filter-api) and its test harness are what plugins compile against: "
            + "they must not bring the data plane along, nor change when the runtime does")
        .check(classes);
  }

  @Test
  void builtInFiltersUseOnlyTheSpiOfTheDataPlane() {
    noClasses().that().resideInAPackage("io.sluice.filters..")
        .should().dependOnClassesThat().resideInAPackage("io.sluice.proxy..")
        .because("the built-in filters are plugins like any other: they see the gateway through io.sluice.filter only")
        .check(classes);
  }

  private static DescribedPredicate<JavaClass> isOrIsNestedIn(List<String> names) {
    return DescribedPredicate.describe("one of " + names, c -> names.stream()
        .anyMatch(n -> c.getName().equals(n) || c.getName().startsWith(n + "$")));
  }

  private static ArchCondition<JavaClass> useInternalPackagesOnlyOfTheirOwnTree() {
    return new ArchCondition<>("use X.internal.. only from X..") {
      @Override
      public void check(JavaClass c, ConditionEvents events) {
        for (Dependency d : c.getDirectDependenciesFromSelf()) {
          String target = d.getTargetClass().getBaseComponentType().getPackageName();
          int i = target.indexOf(".internal");
          if (i < 0 || !target.startsWith("io.sluice.")) continue;
          if (!(target.length() == i + ".internal".length() || target.charAt(i + ".internal".length()) == '.')) continue;
          String parent = target.substring(0, i);
          String own = c.getPackageName();
          // The data plane's runtime wires every feature of the proxy (TLS, metrics, access log,
          // tracing, the filter runtime) into one snapshot: it is their one outside user by design.
          if (own.equals(RUNTIME) && parent.startsWith("io.sluice.proxy.")) continue;
          if (!own.equals(parent) && !own.startsWith(parent + ".")) {
            events.add(SimpleConditionEvent.violated(d, d.getDescription()));
          }
        }
      }
    };
  }
}
