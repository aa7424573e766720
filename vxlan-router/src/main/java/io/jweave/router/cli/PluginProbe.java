package io.jweave.router.cli;

import io.jweave.router.status.UnixHttp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Asks a plugin socket {@code Plugin.Activate}, as Docker does first, to see whether a router answers. */
final class PluginProbe {
    private PluginProbe() {
    }

    static boolean answers(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try {
            return UnixHttp.request(socket, "POST", "/Plugin.Activate").ok();
        } catch (IOException e) {
            return false;
        }
    }
}
