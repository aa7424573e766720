package io.jweave.discovery;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The meshes a test started, closed after each test whatever its outcome
 * ({@code @RegisterExtension final StartedMeshes meshes = new StartedMeshes();}).
 */
final class StartedMeshes implements AfterEachCallback {
    private final List<Mesh> started = new ArrayList<>();

    /** Starts a member and remembers it for closing. */
    Mesh start(MeshConfig c) {
        Mesh m = Mesh.start(c);
        started.add(m);
        return m;
    }

    /** A member the test closed (or crashed) itself: not closed again. */
    void release(Mesh m) {
        started.remove(m);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        started.forEach(Mesh::close);
        started.clear();
    }
}
