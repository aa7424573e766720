package io.jweave.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the real-kernel tests: root is required (a test that cannot run fails), each test gets a
 * fresh {@link Kernel} fixture that removes everything on teardown, and the root namespace's links
 * must be the same after the class as before.
 */
abstract class KernelTestBase {
    private static String rootLinksBefore;
    protected Kernel k;

    @BeforeAll
    static void requireRootAndSnapshot() {
        Kernel.requireRoot();
        rootLinksBefore = Kernel.rootLinks();
    }

    @BeforeEach
    void newFixture() {
        k = new Kernel();
    }

    @AfterEach
    void cleanUp() {
        Kernel fixture = k;
        k = null;
        if (fixture != null) {
            fixture.close();
        }
    }

    @AfterAll
    static void rootNamespaceUntouched() {
        assertEquals(rootLinksBefore, Kernel.rootLinks(), "links of the root namespace changed");
    }
}
