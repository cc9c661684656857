package io.sluice.filters.header;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.filter.HeaderRules;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * Filters set the same header names on every request (rate-limit's three RateLimit headers, the
 * header filter's configured names); checking such a name again must not build its lower case again.
 */
class HeaderRulesAllocationTest {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @Test
  void checksARepeatedMixedCaseNameWithoutAllocating() {
    String name = "RateLimit-Remaining";
    assertThat(HeaderRules.check(name, "7", true)).isEqualTo("ratelimit-remaining");
    long tid = Thread.currentThread().threadId();
    long before = THREADS.getThreadAllocatedBytes(tid);
    String lower = null;
    for (int i = 0; i < 10_000; i++) lower = HeaderRules.check(name, "7", true);
    long allocated = THREADS.getThreadAllocatedBytes(tid) - before;
    assertThat(lower).isEqualTo("ratelimit-remaining");
    // Lower-casing the name each time costs ~64 bytes a call (640,000 here); a remembered name none.
    assertThat(allocated).isLessThan(16_384);
  }

  @Test
  void anEqualNameOfAnotherInstanceIsAlsoCheckedWithoutAllocating() {
    HeaderRules.checkName("X-Served-By", false);
    String other = new String("X-Served-By".toCharArray());
    other.hashCode();
    long tid = Thread.currentThread().threadId();
    long before = THREADS.getThreadAllocatedBytes(tid);
    String lower = null;
    for (int i = 0; i < 10_000; i++) lower = HeaderRules.checkName(other, false);
    long allocated = THREADS.getThreadAllocatedBytes(tid) - before;
    assertThat(lower).isEqualTo("x-served-by");
    assertThat(allocated).isLessThan(16_384);
    // Remembering accepted names does not relax the rules for the ones that are refused.
    assertThat(HeaderRules.checkName("Host", true)).isEqualTo("host");
    assertThatThrownBy(() -> HeaderRules.checkName("Host", false))
        .hasMessage("the Host header is set with Request.setAuthority, not as a header field");
    assertThatThrownBy(() -> HeaderRules.checkName("Content-Length", true))
        .hasMessage("header Content-Length frames the message and is written by the gateway; filters cannot set or remove it");
    assertThatThrownBy(() -> HeaderRules.checkName("X Bad", true))
        .hasMessage("invalid header name 'X Bad': expected a token such as x-request-id");
  }
}
