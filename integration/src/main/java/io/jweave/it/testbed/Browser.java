package io.jweave.it.testbed;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's chromium, headless, driven through {@code /usr/bin/chromedriver} by Selenium (offline:
 * driver and browser are given by path, Selenium Manager is not asked), with the same options as the
 * ui module's page tests, a throwaway profile and the browser console kept (level ALL). Runs in this
 * JVM's network namespace; reach a simulated host's listener through a {@link NetnsForwarder}.
 */
public final class Browser implements AutoCloseable {
    public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private final ChromeDriver driver;
    private final Path profile;
    private final List<LogEntry> console = new ArrayList<>();

    private Browser(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    /** Fails (never skips) when chromium or chromedriver is missing. {@code extraArgs}: more chromium switches. */
    public static Browser start(String... extraArgs) {
        for (Path p : List.of(CHROMIUM, CHROMEDRIVER)) {
            if (!Files.isExecutable(p)) {
                throw new TestbedException(p + " is missing: the topology page is driven in Debian's chromium; install it"
                        + " with `apt-get install -y chromium chromium-driver` (scripts/install-prereqs.sh tests does)");
            }
        }
        Path profile;
        try {
            profile = Files.createTempDirectory("jweave-it-chromium");
        } catch (IOException e) {
            throw new TestbedException("cannot create a browser profile: " + e, e);
        }
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1000", "--user-data-dir=" + profile);
        o.addArguments(extraArgs);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        o.setCapability(ChromeOptions.LOGGING_PREFS, logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        try {
            ChromeDriver d = new ChromeDriver(service, o);
            d.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
            return new Browser(d, profile);
        } catch (RuntimeException e) {
            deleteTree(profile);
            throw e;
        }
    }

    public ChromeDriver driver() {
        return driver;
    }

    public Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    public Object asyncJs(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeAsyncScript(script, args);
    }

    /** Chrome DevTools Protocol command (e.g. {@code HeapProfiler.collectGarbage}). */
    public Map<String, Object> cdp(String command, Map<String, Object> params) {
        return driver.executeCdpCommand(command, params);
    }

    /** Polls {@code condition} every 20 ms; throws on timeout. */
    public void waitFor(Duration timeout, Function<WebDriver, Boolean> condition) {
        new WebDriverWait(driver, timeout, Duration.ofMillis(20)).until(condition::apply);
    }

    /** Reads the console entries since the last call (they are also kept for {@link #console()}). */
    public List<LogEntry> drainConsole() {
        List<LogEntry> l = driver.manage().logs().get(LogType.BROWSER).getAll();
        console.addAll(l);
        return l;
    }

    /** Every console entry read so far. */
    public List<LogEntry> console() {
        return List.copyOf(console);
    }

    /** The SEVERE messages among the new console entries (CSP violations, script errors, failed loads). */
    public List<String> severe() {
        List<String> out = new ArrayList<>();
        for (LogEntry e : drainConsole()) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
                out.add(e.getMessage());
            }
        }
        return out;
    }

    /** A PNG of the viewport, written to {@code file} (directories created). */
    public Path screenshot(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
            return file;
        } catch (IOException e) {
            throw new TestbedException("cannot write " + file + ": " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path p) {
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException e) {
            // best effort
        }
    }
}
