package io.jweave.router.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Pieces of the container launch that need no dockerd. */
class RouterContainerUnitTest {

    @Test
    void chunkedBodiesAreJoinedAndPlainOnesKept() {
        assertEquals("{\"LiveRestoreEnabled\":true}", RouterContainer.dechunk("{\"LiveRestoreEnabled\":true}"));
        assertEquals("{\"a\":1,\"LiveRestoreEnabled\":false}",
                RouterContainer.dechunk("8\r\n{\"a\":1,\"\r\n1a\r\nLiveRestoreEnabled\":false}\r\n0\r\n\r\n"));
    }

    @Test
    void liveRestoreIsUnknownWithoutAUnixSocketOrAnAnswer() {
        assertEquals(null, RouterContainer.liveRestore("tcp://127.0.0.1:2375"));
        assertEquals(null, RouterContainer.liveRestore("unix:///nonexistent/docker.sock"));
    }

    @Test
    void aRouterWithAPasswordGetsTheFullCompilerInTheImagesEntrypoint() {
        assertEquals(java.util.List.of("/opt/java/openjdk/bin/java", "-Xmx128m", "-XX:TieredStopAtLevel=4", "-cp", "x", "M"),
                RouterContainer.fullCompiler(new String[] {"/opt/java/openjdk/bin/java", "-Xmx128m",
                    "-XX:TieredStopAtLevel=1", "-cp", "x", "M"}));
        assertEquals(null, RouterContainer.fullCompiler(new String[] {"java", "-cp", "x", "M"}));
        assertEquals(null, RouterContainer.fullCompiler(null));
    }
}
