package io.jweave.ui;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The topology page in a real browser (Debian's chromium, headless, through chromedriver), served by
 * {@link PageServer} with the router's Content-Security-Policy. Every test ends by asserting that the
 * browser's console has no SEVERE entry (CSP violations, script errors, failed loads land there).
 */
class TopologyPageTest {
    static final Path CHROMIUM = Paths.get("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Paths.get("/usr/bin/chromedriver");
    static final Path SHOTS = Paths.get("target", "screenshots");

    static ChromeDriver driver;
    static Path profile;
    PageServer server;
    ObjectNode topo;
    int version = 17;

    @BeforeAll
    static void browser() throws IOException {
        for (Path p : List.of(CHROMIUM, CHROMEDRIVER)) {
            if (!Files.isExecutable(p)) {
                fail(p + " is missing: the page's tests drive Debian's chromium; install it with"
                        + " `apt-get install -y chromium chromium-driver` (scripts/install-prereqs.sh tests does)");
            }
        }
        Files.createDirectories(SHOTS);
        profile = Files.createTempDirectory("jweave-ui-chromium");
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1000", "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        o.setCapability(ChromeOptions.LOGGING_PREFS, logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, o);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
    }

    @AfterAll
    static void quit() throws IOException {
        if (driver != null) {
            driver.quit();
        }
        if (profile != null) {
            try (Stream<Path> s = Files.walk(profile)) {
                s.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    void start(ObjectNode t) throws IOException {
        topo = t;
        server = new PageServer(t.toString(), Fixtures.report(t).toString());
    }

    void open(String query) {
        driver.get(server.url() + query);
        waitFor(Duration.ofSeconds(10), d -> "live".equals(connState()) && !rows().isEmpty());
    }

    @AfterEach
    void noConsoleErrors(TestInfo info) throws IOException {
        try {
            shot(info.getTestMethod().orElseThrow().getName() + "-end");
            List<String> severe = new ArrayList<>();
            for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
                System.out.println("[browser " + e.getLevel() + "] " + e.getMessage());
                if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    severe.add(e.getMessage());
                }
            }
            assertTrue(severe.isEmpty(), "errors in the browser's console: " + severe);
        } finally {
            driver.get("about:blank");
            if (server != null) {
                server.close();
            }
        }
    }

    // ------------------------------------------------------------------ tests

    /** The console check has teeth: what the CSP blocks is reported as SEVERE (and the page's own files are not). */
    /**
     * A page left for another one stays in the back/forward cache; it must not keep its event stream, or
     * after a few navigations the browser has no connection left for the router (6 per host and port) and
     * the next load waits for one (tens of seconds, found by ./jweave bench ui).
     */
    @Test
    void pagesLeftForOthersCloseTheirEventStream() throws IOException {
        start(Fixtures.threeHosts());
        server.keepaliveMillis = 100; // the server notices a stream the browser closed at its next write
        open("");
        for (int i = 1; i <= 8; i++) {
            long t0 = System.nanoTime();
            driver.get(server.url() + "?visit=" + i);
            waitFor(Duration.ofSeconds(5), d -> "live".equals(connState()) && !rows().isEmpty());
            System.out.printf("visit %d live after %d ms, %d event streams open%n", i,
                    (System.nanoTime() - t0) / 1_000_000, server.openStreams());
        }
        driver.navigate().back(); // from the back/forward cache: the stream comes back
        waitFor(Duration.ofSeconds(5), d -> "live".equals(connState()) && !rows().isEmpty());
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (server.openStreams() > 1 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        assertEquals(1, server.openStreams(), "event streams held by pages no longer shown");
    }

    @Test
    void consoleReportsWhatTheCspBlocks() throws IOException {
        start(Fixtures.threeHosts());
        driver.get(server.url() + "ui/csp-probe.html");
        assertEquals("csp probe", driver.getTitle(), "the inline script must not run");
        List<LogEntry> logs = driver.manage().logs().get(LogType.BROWSER).getAll();
        assertTrue(logs.stream().anyMatch(e -> e.getLevel() == Level.SEVERE && e.getMessage().contains("Content Security Policy")),
                "a CSP violation shows as SEVERE in the console: " + logs);
    }

    @Test
    void showsHostsLinksNetworksContainersIpamAndDns() throws IOException {
        start(Fixtures.threeHosts());
        open("");
        assertEquals(3, driver.findElements(By.cssSelector("#hosts [data-host]")).size());
        assertEquals(1, driver.findElements(By.cssSelector("#hosts [data-host='host1'][data-self='true']")).size());
        assertEquals(1, driver.findElements(By.cssSelector("#hosts [data-host='host2'][data-state='connected'][data-self='false']")).size());
        assertEquals(2, driver.findElements(By.cssSelector("#links [data-link]")).size());
        assertEquals(1, driver.findElements(By.cssSelector(
                "#links [data-link='host1-host2'][data-datapath='vxlan'][data-state='connected'][data-encrypted='false']")).size());
        assertEquals(1, driver.findElements(By.cssSelector(
                "#links [data-link='host1-host3'][data-datapath='tunnel'][data-encrypted='true']")).size());
        assertTrue(text("#hosts [data-host='host1']").contains("this host"));

        List<WebElement> nets = driver.findElements(By.cssSelector("#networks tbody tr[data-network]"));
        assertEquals(2, nets.size());
        String blue = text("#networks tr[data-network='blue']");
        for (String s : List.of("100.64.0.0/24", "100.64.0.1", "4242", "1450", "host2 · 1", "host3 · 1")) {
            assertTrue(blue.contains(s), "blue's row shows " + s + ": " + blue);
        }

        assertEquals(4, rows().size());
        String web = text("#containers tr[data-container-ip='100.64.0.2']");
        for (String s : List.of("web", "host2", "blue", "02:42:64:40:00:02", "web.jweave.local")) {
            assertTrue(web.contains(s), "web's row shows " + s + ": " + web);
        }
        assertEquals("web", attr("#containers tr[data-container-ip='100.64.0.2']", "data-container"));
        assertTrue(text("#containers tr[data-container-ip='100.64.1.3']").contains("—"), "a container without a name");

        assertEquals(2, driver.findElements(By.cssSelector("#ipam [data-pool]")).size());
        assertTrue(text("#ipam [data-pool='100.64.0.0/24']").contains("3 used · 250 free"));
        assertEquals("jweave.local", attr("#dns", "data-domain"));
        assertEquals("12", attr("#dns", "data-records"));
        assertTrue(text("#dns").contains("jweave.local · 12 records"));
        assertEquals("17", attr("body", "data-topology-version"));
        Path png = shot("topology-3-hosts");
        Path docs = Paths.get("..", "docs", "images");
        if (Files.isDirectory(docs) && System.getProperty("jweave.ui.updateDocsImage") != null) {
            Files.copy(png, docs.resolve("topology.png"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    void filtersByNetworkAndHostAndKeepsTheFilterAcrossUpdates() throws IOException {
        start(Fixtures.threeHosts());
        open("");
        new Select(driver.findElement(By.id("filter-network"))).selectByValue("blue");
        assertEquals(List.of("100.64.0.2", "100.64.0.3"), visibleIps());
        new Select(driver.findElement(By.id("filter-host"))).selectByValue("host3");
        assertEquals(List.of("100.64.0.3"), visibleIps());
        assertTrue(text("#containers-count").contains("1 of 4"));

        // an update keeps the filter and applies it to the new rows
        ArrayNode cs = (ArrayNode) topo.get("containers");
        Fixtures.container(cs, "api", "host3", "blue", "100.64.0.7", "02:42:64:40:00:07", "ep-api");
        Fixtures.container(cs, "worker", "host2", "blue", "100.64.0.8", "02:42:64:40:00:08", "ep-worker");
        push();
        waitFor(Duration.ofSeconds(2), d -> driver.findElements(By.cssSelector("#containers tr[data-container-ip='100.64.0.8']")).size() == 1);
        assertEquals(List.of("100.64.0.3", "100.64.0.7"), visibleIps());
        assertEquals("blue", new Select(driver.findElement(By.id("filter-network"))).getFirstSelectedOption().getAttribute("value"));
        assertEquals("host3", new Select(driver.findElement(By.id("filter-host"))).getFirstSelectedOption().getAttribute("value"));

        // a host chip in the networks table filters by network and host
        driver.findElement(By.cssSelector("#networks tr[data-network='red'] .chip[data-host='host1']")).click();
        assertEquals(List.of("100.64.1.2"), visibleIps());
        // free text
        driver.findElement(By.id("filter-clear")).click();
        assertEquals(6, visibleIps().size());
        driver.findElement(By.id("filter-text")).sendKeys("02:42:64:40:01:03");
        waitFor(Duration.ofSeconds(2), d -> visibleIps().equals(List.of("100.64.1.3")));
        driver.findElement(By.id("filter-clear")).click();
        assertEquals(6, visibleIps().size());
    }

    @Test
    void liveUpdatesWithoutReload() throws IOException {
        start(Fixtures.threeHosts());
        open("");
        js("window.jweaveNoReload = 42;");
        String sel = "#containers tr[data-container-ip='100.64.0.9']";

        ArrayNode cs = (ArrayNode) topo.get("containers");
        Fixtures.container(cs, "new", "host2", "blue", "100.64.0.9", "02:42:64:40:00:09", "ep-new");
        long t0 = System.nanoTime();
        push();
        waitFor(Duration.ofSeconds(2), d -> driver.findElements(By.cssSelector(sel)).size() == 1);
        System.out.printf("new container shown %.0f ms after the event%n", (System.nanoTime() - t0) / 1e6);
        assertTrue(text(sel).contains("new.jweave.local"));
        assertEquals(5, rows().size());

        cs.remove(cs.size() - 1);
        t0 = System.nanoTime();
        push();
        waitFor(Duration.ofSeconds(2), d -> driver.findElements(By.cssSelector(sel)).isEmpty());
        System.out.printf("removed container gone %.0f ms after the event%n", (System.nanoTime() - t0) / 1e6);
        assertEquals(4, rows().size());

        // host3 departs
        ((ObjectNode) topo.get("hosts").get(2)).put("state", "departed");
        ((ObjectNode) topo.get("links").get(1)).put("state", "departed").putNull("datapath").put("reason", "left the mesh");
        push();
        waitFor(Duration.ofSeconds(2), d -> driver.findElements(By.cssSelector("#hosts [data-host='host3'][data-state='departed']")).size() == 1);
        assertEquals(1, driver.findElements(By.cssSelector("#links [data-link='host1-host3'][data-state='departed'][data-datapath='none']")).size());
        assertTrue(driver.findElement(By.cssSelector("#links [data-link='host1-host3'] line.link")).getAttribute("class").contains("st-departed"));
        assertEquals(42L, js("return window.jweaveNoReload;"), "the page was not reloaded");
        assertEquals(String.valueOf(version), attr("body", "data-topology-version"));
        shot("topology-host3-departed");
    }

    @Test
    void detailsPanelForContainerHostAndNetwork() throws IOException {
        start(Fixtures.threeHosts());
        open("");
        assertFalse(driver.findElement(By.id("details")).isDisplayed());

        driver.findElement(By.cssSelector("#containers tr[data-container-ip='100.64.0.2']")).click();
        waitFor(Duration.ofSeconds(2), d -> driver.findElement(By.id("details")).isDisplayed());
        assertEquals("container", attr("#details", "data-kind"));
        waitFor(Duration.ofSeconds(5), d -> !driver.findElements(By.cssSelector("#details-report .frag")).isEmpty());
        String details = text("#details");
        assertTrue(details.contains("100.64.0.2"), details);
        assertTrue(details.contains("ep-web"), details);
        assertTrue(text("#details-report").contains("100.64.0.2/24"), "the report's endpoint: " + text("#details-report"));
        assertEquals(1, driver.findElements(By.cssSelector("#details-report .frag[data-path='endpoints.remote[0]']")).size());
        shot("details-container");

        // stays open, and current, across an update
        ((ObjectNode) topo.get("containers").get(0)).putArray("dnsNames").add("web").add("www.jweave.local");
        push();
        waitFor(Duration.ofSeconds(2), d -> text("#details").contains("www.jweave.local"));
        assertTrue(driver.findElement(By.id("details")).isDisplayed());

        new Actions(driver).sendKeys(Keys.ESCAPE).perform();
        waitFor(Duration.ofSeconds(2), d -> !driver.findElement(By.id("details")).isDisplayed());

        driver.findElement(By.cssSelector("#hosts [data-host='host2'] circle")).click();
        waitFor(Duration.ofSeconds(2), d -> driver.findElement(By.id("details")).isDisplayed());
        assertEquals("host", attr("#details", "data-kind"));
        assertEquals("host2", attr("#details", "data-key"));
        waitFor(Duration.ofSeconds(5), d -> !driver.findElements(By.cssSelector("#details-report .frag")).isEmpty());
        assertTrue(text("#details").contains("198.51.100.12"));
        assertTrue(text("#details-report").contains("\"datapath\": \"vxlan\""), text("#details-report"));
        driver.findElement(By.id("details-close")).click();
        waitFor(Duration.ofSeconds(2), d -> !driver.findElement(By.id("details")).isDisplayed());

        driver.findElement(By.cssSelector("#networks tr[data-network='blue'] td")).click();
        waitFor(Duration.ofSeconds(5), d -> !driver.findElements(By.cssSelector("#details-report .frag")).isEmpty());
        assertEquals("network", attr("#details", "data-kind"));
        assertTrue(text("#details-report").contains("5f1c2e"));
        driver.findElement(By.id("details-filter")).click();
        assertEquals(List.of("100.64.0.2", "100.64.0.3"), visibleIps());
        driver.findElement(By.id("details-close")).click();
    }

    @Test
    void connectionIndicatorFollowsTheStream() throws IOException {
        start(Fixtures.threeHosts());
        open("");
        assertEquals("live", connState());
        server.accepting(false);
        server.closeStreams();
        waitFor(Duration.ofSeconds(5), d -> "reconnecting".equals(connState()));
        shot("conn-reconnecting");
        ((ObjectNode) topo.get("hosts").get(1)).put("state", "unreachable");
        server.accepting(true);
        push();
        waitFor(Duration.ofSeconds(5), d -> "live".equals(connState()));
        waitFor(Duration.ofSeconds(2), d -> driver.findElements(By.cssSelector("#hosts [data-host='host2'][data-state='unreachable']")).size() == 1);
    }

    @Test
    void staleWhenTheStreamBringsNothing() throws IOException {
        start(Fixtures.threeHosts());
        server.silent(true);
        driver.get(server.url() + "?staleMs=1000");
        // /api/topology fills the page; the stream is open but says nothing
        waitFor(Duration.ofSeconds(10), d -> rows().size() == 4);
        waitFor(Duration.ofSeconds(10), d -> "stale".equals(connState()));
        assertTrue(server.streamRequests.get() >= 2, "the page re-opened the stream: " + server.streamRequests.get());
        shot("conn-stale");
        server.silent(false);
        waitFor(Duration.ofSeconds(10), d -> "live".equals(connState()));
    }

    @Test
    void fiftyHostsAndAThousandContainers() throws IOException {
        start(Fixtures.large(50, 1000));
        long t0 = System.nanoTime();
        driver.get(server.url());
        waitFor(Duration.ofSeconds(30), d -> rows().size() == 1000);
        double loadMs = (System.nanoTime() - t0) / 1e6;
        Object renderMs = js("return window.jweaveUi.lastRenderMs;");
        System.out.printf("50 hosts, 1000 containers: page loaded and rendered in %.0f ms (last render pass %s ms)%n", loadMs, renderMs);
        assertEquals(50, driver.findElements(By.cssSelector("#hosts [data-host]")).size());
        assertEquals(49, driver.findElements(By.cssSelector("#links [data-link]")).size());

        // labels of the graph: count overlapping pairs (rotated labels on a circle should have none)
        long overlaps = (Long) js(OVERLAPS);
        System.out.println("overlapping graph labels: " + overlaps);
        assertEquals(0L, overlaps, "graph labels overlap");

        // one container changes: shown quickly
        ObjectNode c = (ObjectNode) topo.get("containers").get(500);
        c.put("name", "renamed");
        topo.put("version", 2);
        t0 = System.nanoTime();
        server.push(topo.toString());
        waitFor(Duration.ofSeconds(5), d -> "renamed".equals(attr("#containers tr[data-container-ip='" + c.get("ip").asText() + "']", "data-container")));
        System.out.printf("one changed container of 1000 shown %.0f ms after the event (render pass %s ms)%n",
                (System.nanoTime() - t0) / 1e6, js("return window.jweaveUi.lastRenderMs;"));

        // filters stay quick
        t0 = System.nanoTime();
        new Select(driver.findElement(By.id("filter-network"))).selectByValue("net3");
        long shown = (Long) js("return document.querySelectorAll('#containers tbody tr:not([hidden])').length;");
        System.out.printf("filter by network: %d rows shown, %.0f ms%n", shown, (System.nanoTime() - t0) / 1e6);
        assertEquals(100L, shown);
        t0 = System.nanoTime();
        js("return 1;");
        System.out.printf("page answers a script in %.0f ms%n", (System.nanoTime() - t0) / 1e6);
        new Select(driver.findElement(By.id("filter-network"))).selectByValue("");
        js("document.activeElement.blur(); window.scrollTo(0, 0);");
        shot("topology-50-hosts");
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Pairs of graph labels whose glyph boxes overlap by more than a pixel: each label's box (getBBox)
     * is mapped to the screen with its own transform (labels are rotated), then two boxes are compared
     * by the separating axis test.
     */
    static final String OVERLAPS = """
            const quads = [...document.querySelectorAll('#hosts text.host-label')].map(t => {
              const b = t.getBBox(), m = t.getScreenCTM();
              return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
                .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
            });
            const axes = q => [0, 1].map(i => { const dx = q[i + 1][0] - q[i][0], dy = q[i + 1][1] - q[i][1], l = Math.hypot(dx, dy) || 1; return [-dy / l, dx / l]; });
            const proj = (q, a) => { const v = q.map(p => p[0] * a[0] + p[1] * a[1]); return [Math.min(...v), Math.max(...v)]; };
            const overlap = (p, q) => [...axes(p), ...axes(q)].every(a => { const [p0, p1] = proj(p, a), [q0, q1] = proj(q, a); return Math.min(p1, q1) - Math.max(p0, q0) > 1; });
            let n = 0;
            for (let i = 0; i < quads.length; i++) for (let j = i + 1; j < quads.length; j++) if (overlap(quads[i], quads[j])) n++;
            return n;""";

    void push() {
        topo.put("version", ++version);
        server.push(topo.toString());
    }

    String connState() {
        return attr("#conn-state", "data-state");
    }

    List<WebElement> rows() {
        return driver.findElements(By.cssSelector("#containers tbody tr[data-container-ip]"));
    }

    @SuppressWarnings("unchecked")
    List<String> visibleIps() {
        return (List<String>) js("return [...document.querySelectorAll('#containers tbody tr[data-container-ip]:not([hidden])')]"
                + ".map(r => r.dataset.containerIp);");
    }

    String text(String css) {
        return driver.findElement(By.cssSelector(css)).getText();
    }

    String attr(String css, String name) {
        return driver.findElement(By.cssSelector(css)).getAttribute(name);
    }

    Object js(String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    void waitFor(Duration timeout, Function<WebDriver, Boolean> condition) {
        new WebDriverWait(driver, timeout, Duration.ofMillis(20)).until(condition::apply);
    }

    Path shot(String name) throws IOException {
        Path png = SHOTS.resolve(name + ".png");
        Files.write(png, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        return png;
    }
}
