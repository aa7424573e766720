package io.jweave.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.it.testbed.Browser;
import io.jweave.it.testbed.LeakCheck;
import io.jweave.it.testbed.NetnsForwarder;
import io.jweave.it.testbed.RouterProcess;
import io.jweave.it.testbed.SimHost;
import io.jweave.it.testbed.TestImage;
import io.jweave.it.testbed.Testbed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The topology page in a real browser on a 3-host bed with real dockerd. host1's router serves the
 * page on 127.0.0.1:6784 inside host1's namespace; a {@link NetnsForwarder} brings it to 127.0.0.1
 * of this JVM's namespace, where headless Debian chromium opens it (Host: 127.0.0.1:PORT, a loopback
 * one, so the router's DNS-rebinding guard lets it through). One bed, one browser, one page for the
 * whole class; the tests run in order (the last one stops host3's router). After each test: no
 * SEVERE entry in the browser's console. Screenshots: the bed's log directory,
 * {@code target/testbed/<id>/screenshots/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TopologyBrowserTest {
    private static final String NET = "topo";
    private static final Duration CMD = Duration.ofSeconds(20);

    private String runId;
    private LeakCheck before;
    private Testbed tb;
    private List<RouterProcess> routers;
    private NetnsForwarder fwd;
    private Browser browser;
    private ChromeDriver d;
    private final String[] ips = new String[4];

    @BeforeAll
    void up() {
        runId = Testbed.newRunId();
        before = LeakCheck.snapshot(runId);
        tb = Testbed.builder().hosts(3).runId(runId).start();
        try {
            routers = MultiHostSupport.launchAll(tb);
            MultiHostSupport.createNetwork(tb.host(1), tb.hosts(), NET);
            for (int i = 1; i <= 3; i++) {
                SimHost h = tb.host(i);
                h.run("-d", "--name", "c" + i, "--network", NET, TestImage.NAME, "sleep", "600");
                ips[i] = h.containerIp("c" + i, NET);
            }
            fwd = NetnsForwarder.to(tb.host(1), 6784);
            browser = Browser.start();
            d = browser.driver();
            // the page once, for the whole class: live updates are the point
            d.get(fwd.url());
            browser.waitFor(Duration.ofSeconds(15), x -> "live".equals(attr("#conn-state", "data-state")));
            System.out.println("page at " + fwd.url() + " (host1's 127.0.0.1:6784)");
        } catch (RuntimeException | Error e) {
            down();
            throw e;
        }
    }

    @AfterAll
    void down() {
        try {
            if (browser != null) {
                browser.close();
                browser = null;
            }
        } finally {
            if (fwd != null) {
                fwd.close();
                fwd = null;
            }
            Testbed bed = tb;
            tb = null;
            MultiHostSupport.closeBed(bed, before);
        }
    }

    @AfterEach
    void noConsoleErrors(TestInfo info) {
        if (browser == null) {
            return;
        }
        shot(info.getTestMethod().orElseThrow().getName() + "-end");
        List<String> severe = browser.severe();
        browser.console().forEach(e -> System.out.println("[browser " + e.getLevel() + "] " + e.getMessage()));
        assertTrue(severe.isEmpty(), "errors in the browser's console: " + severe);
    }

    @Test
    @Order(1)
    void host1ShowsTheThreeHostsItsVxlanLinksTheNetworkAndTheContainers() throws Exception {
        browser.waitFor(Duration.ofSeconds(30), x -> count("#hosts [data-host]") == 3
                && count("#links [data-link='host1-host2'][data-datapath='vxlan'][data-state='connected']") == 1
                && count("#links [data-link='host1-host3'][data-datapath='vxlan'][data-state='connected']") == 1
                && rowsWithIps(ips[1], ips[2], ips[3]));
        assertEquals(1, count("#hosts [data-host='host1'][data-self='true'][data-state='connected']"));
        assertEquals(1, count("#hosts [data-host='host2'][data-self='false'][data-state='connected']"));
        assertEquals(1, count("#hosts [data-host='host3'][data-self='false'][data-state='connected']"));
        assertTrue(text("#hosts [data-host='host1']").contains("this host"));
        assertEquals(2, count("#links [data-link]"), "a link to each other host");
        assertEquals("false", attr("#links [data-link='host1-host2']", "data-encrypted"));

        String net = text("#networks tr[data-network='" + NET + "']");
        String vni = String.valueOf(MultiHostSupport.vni(routers.get(0), NET));
        for (String s : List.of(vni, "host1 · 1", "host2 · 1", "host3 · 1")) {
            assertTrue(net.contains(s), "the network's row shows " + s + ": " + net);
        }
        for (int i = 1; i <= 3; i++) {
            String sel = "#containers tr[data-container-ip='" + ips[i] + "']";
            assertEquals("host" + i, attr(sel, "data-host"));
            assertEquals(NET, attr(sel, "data-network"));
            int n = i;
            browser.waitFor(Duration.ofSeconds(10), x -> ("c" + n).equals(attr(sel, "data-container")));
            assertTrue(text(sel).contains("c" + i), text(sel));
        }
        Path png = shot("topology-3-hosts");
        System.out.println("screenshot: " + png.toAbsolutePath());
        Path docs = RouterProcess.REPO.resolve("docs/images");
        if (System.getProperty("jweave.ui.updateDocsImage") != null && Files.isDirectory(docs)) {
            Files.copy(png, docs.resolve("topology.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    @Order(2)
    void aContainerStartedOnHost2AppearsWithinTwoSecondsWithoutReloadAndGoesWhenRemoved() {
        browser.js("window.jweaveNoReload = 42;");
        markRows();
        SimHost h2 = tb.host(2);
        Instant invoked = Instant.now();
        h2.run("-d", "--name", "live2", "--network", NET, TestImage.NAME, "sleep", "600");
        Instant started = Instant.now();
        String ip = h2.containerIp("live2", NET);
        String sel = "#containers tr[data-container-ip='" + ip + "']";
        browser.waitFor(Duration.ofSeconds(5), x -> count(sel) == 1); // the 2 s are checked below, from the page's clock
        double shownMs = sinceMs(started, rowSeenAt(ip));
        System.out.printf("live2 (%s) on host1's page %.0f ms after docker run -d returned on host2 (%.0f ms after it"
                + " was invoked; docker run took %.0f ms)%n", ip, shownMs, sinceMs(invoked, rowSeenAt(ip)), sinceMs(invoked, started));
        assertTrue(shownMs <= 2000, "shown within 2 s: " + shownMs + " ms");
        assertEquals("host2", attr(sel, "data-host"));
        browser.waitFor(Duration.ofSeconds(5), x -> "live2".equals(attr(sel, "data-container")));

        h2.dockerOk("rm", "-f", "live2");
        Instant removed = Instant.now();
        browser.waitFor(Duration.ofSeconds(5), x -> count(sel) == 0);
        System.out.printf("live2 gone from host1's page %.0f ms after docker rm -f returned%n",
                sinceMs(removed, Instant.now()));
        assertEquals(42L, browser.js("return window.jweaveNoReload;"), "the page was not reloaded");
    }

    @Test
    @Order(3)
    void clickingAContainerOpensItsDetails() {
        String sel = "#containers tr[data-container-ip='" + ips[2] + "']";
        d.findElement(By.cssSelector(sel)).click();
        browser.waitFor(Duration.ofSeconds(2), x -> d.findElement(By.id("details")).isDisplayed());
        assertEquals("container", attr("#details", "data-kind"));
        assertTrue(text("#details").contains(ips[2]), text("#details"));
        browser.waitFor(Duration.ofSeconds(5), x -> !d.findElements(By.cssSelector("#details-report .frag")).isEmpty());
        assertTrue(text("#details-report").contains(ips[2]), "the router's report names it: " + text("#details-report"));
        shot("details-container");
        d.findElement(By.id("details-close")).click();
        browser.waitFor(Duration.ofSeconds(2), x -> !d.findElement(By.id("details")).isDisplayed());
    }

    @Test
    @Order(4)
    void aHostWhoseRouterStopsIsShownDeparted() {
        Instant t0 = Instant.now();
        routers.get(2).stop();
        Instant stopped = Instant.now();
        browser.waitFor(Duration.ofSeconds(30), x -> count("#hosts [data-host='host3'][data-state='departed']") == 1);
        System.out.printf("host3 departed on host1's page %.0f ms after its router's stop returned (stop took %.0f ms)%n",
                sinceMs(stopped, Instant.now()), sinceMs(t0, stopped));
        assertEquals(1, count("#hosts [data-host='host2'][data-state='connected']"));
        assertTrue(attr("#links [data-link='host1-host3'] line.link", "class")
                .contains("st-departed"), "the link is drawn departed");
        assertEquals("departed", attr("#links [data-link='host1-host3']", "data-state"));
        assertEquals("live", attr("#conn-state", "data-state"));
        shot("topology-host3-departed");
    }

    // ------------------------------------------------------------------ helpers

    /** Records in the page when each container row (by IP) first appears (epoch ms, sub-ms precision). */
    private void markRows() {
        browser.js("""
                if (!window.jwSeen) {
                  window.jwSeen = {};
                  const now = () => performance.timeOrigin + performance.now();
                  const scan = () => document.querySelectorAll('#containers tr[data-container-ip]').forEach(r => {
                    const ip = r.dataset.containerIp; if (!(ip in window.jwSeen)) window.jwSeen[ip] = now(); });
                  scan();
                  new MutationObserver(scan).observe(document.getElementById('containers'), {childList: true, subtree: true});
                }""");
    }

    private Instant rowSeenAt(String ip) {
        Number ms = (Number) browser.js("return window.jwSeen[arguments[0]];", ip);
        return Instant.ofEpochSecond(0, (long) (ms.doubleValue() * 1e6));
    }

    private static double sinceMs(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / 1e6;
    }

    private boolean rowsWithIps(String... want) {
        for (String ip : want) {
            if (count("#containers tr[data-container-ip='" + ip + "']") != 1) {
                return false;
            }
        }
        return true;
    }

    private int count(String css) {
        return d.findElements(By.cssSelector(css)).size();
    }

    /** Visible text; read in one script call, so a row rebuilt by an update never leaves a stale reference. */
    private String text(String css) {
        return (String) browser.js("const e = document.querySelector(arguments[0]); return e ? (e.innerText !== undefined ? e.innerText : e.textContent) : null;", css);
    }

    private String attr(String css, String name) {
        return (String) browser.js("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
                css, name);
    }

    private Path shot(String name) {
        return browser.screenshot(tb.logDir().resolve("screenshots").resolve(name + ".png"));
    }
}
