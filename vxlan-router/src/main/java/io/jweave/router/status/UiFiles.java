package io.jweave.router.status;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The topology page's files: {@code GET /} answers {@code index.html}, {@code GET /ui/FILE} the file
 * {@code io/jweave/ui/FILE} of the class path (module {@code ui}). Only files with a known type
 * (html, js, css, svg, png, json, ico, txt, map, woff2) are served; no directory listing; a path
 * with an empty, {@code .}-leading ({@code ..}, hidden files) or otherwise unusual segment, also
 * percent-encoded, is answered 404 like an unknown file. Every file comes with
 * {@code X-Content-Type-Options: nosniff} and a strict {@link #CSP} (no inline scripts or styles,
 * nothing from other origins).
 */
public final class UiFiles {
    /** Where the files are on the class path. */
    public static final String BASE = "io/jweave/ui/";
    public static final String CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
            + "frame-ancestors 'none'; form-action 'none'";
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*");
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("json", "application/json"),
            Map.entry("map", "application/json"),
            Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("woff2", "font/woff2"));

    private final ClassLoader loader;
    private final Map<String, StatusServer.Asset> cache = new ConcurrentHashMap<>();

    public UiFiles() {
        this(UiFiles.class.getClassLoader());
    }

    UiFiles(ClassLoader loader) {
        this.loader = loader;
    }

    /** {@code /} and {@code /ui/}. */
    public Map<String, StatusServer.Endpoint> routes() {
        Map<String, StatusServer.Endpoint> r = new LinkedHashMap<>();
        r.put("/", new StatusServer.Endpoint("GET", arg -> file("index.html"), "text/html; charset=utf-8"));
        r.put("/ui/", StatusServer.Endpoint.files(this::file));
        return r;
    }

    /** The file at {@code raw} (a path below {@code /ui/}, percent-encoded as it came), or a 404. */
    StatusServer.Asset file(String raw) {
        String name;
        try {
            name = io.netty.handler.codec.http.QueryStringDecoder.decodeComponent(raw);
        } catch (IllegalArgumentException e) {
            throw notFound(raw);
        }
        if (!SAFE.matcher(name).matches() || name.contains("..")) {
            throw notFound(raw);
        }
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
        if (type == null) {
            throw notFound(raw);
        }
        StatusServer.Asset a = cache.get(name);
        if (a == null) {
            byte[] body = read(BASE + name);
            if (body == null) {
                throw notFound(raw);
            }
            a = new StatusServer.Asset(body, type, headers());
            cache.put(name, a);
        }
        return a;
    }

    private static Map<String, String> headers() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Security-Policy", CSP);
        h.put("X-Content-Type-Options", "nosniff");
        h.put("Referrer-Policy", "no-referrer");
        h.put("X-Frame-Options", "DENY");
        h.put("Cache-Control", "no-cache"); // revalidate: a new router version brings new files
        return h;
    }

    /** A regular file's bytes, null if there is none (or it is a directory). */
    private byte[] read(String resource) {
        URL u = loader.getResource(resource);
        if (u == null) {
            return null;
        }
        try {
            if ("file".equals(u.getProtocol())) {
                Path p = Path.of(u.toURI());
                return Files.isRegularFile(p) ? Files.readAllBytes(p) : null;
            }
            URLConnection c = u.openConnection();
            c.setUseCaches(false);
            if (c instanceof JarURLConnection j && (j.getJarEntry() == null || j.getJarEntry().isDirectory())) {
                return null;
            }
            try (InputStream in = c.getInputStream()) {
                return in.readAllBytes();
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    private static ApiException notFound(String raw) {
        return ApiException.notFound("no such file: /ui/" + raw);
    }
}
