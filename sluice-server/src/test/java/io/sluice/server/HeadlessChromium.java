package io.sluice.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's Chromium, headless, driven through Debian's chromedriver, for the console's browser
 * tests. Selenium Manager never runs (it would download a browser).
 */
final class HeadlessChromium {
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  private HeadlessChromium() {}

  /** Whether chromium and chromedriver are installed (bin/test installs them as root). */
  static boolean installed() {
    return Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM);
  }

  /** Starts a browser whose profile lives under {@code dir}; the caller quits it. */
  static WebDriver start(Path dir) throws IOException {
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
        "--no-first-run", "--no-default-browser-check", "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium")));
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  /** Waits up to 20 s for a condition of the page. */
  static WebDriverWait waitFor(WebDriver b) {
    return new WebDriverWait(b, Duration.ofSeconds(20));
  }

  /** Sets a text area's value as typing would (the page listens for {@code input}). */
  static void setText(WebDriver b, WebElement textarea, String text) {
    ((JavascriptExecutor) b).executeScript(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", textarea, text);
  }

  /** Writes a PNG of the page to {@code file}. */
  static void screenshot(WebDriver b, Path file) throws IOException {
    Files.write(file, ((TakesScreenshot) b).getScreenshotAs(OutputType.BYTES));
  }
}
