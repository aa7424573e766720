package io.jweave.plugin;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Null normalisation for decoded requests: Go's nil maps and slices arrive as {@code null}. */
final class Wire {
    private Wire() {
    }

    static String str(String s) {
        return s == null ? "" : s;
    }

    /** Unmodifiable copy; tolerates {@code null} values (an option may be JSON {@code null}). */
    static <V> Map<String, V> map(Map<String, V> m) {
        if (m == null || m.isEmpty()) {
            return Map.of();
        }
        Map<String, V> copy = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (k != null) {
                copy.put(k, v);
            }
        });
        return Collections.unmodifiableMap(copy);
    }

    /** Unmodifiable copy of a string map without null keys or values. */
    static Map<String, String> strings(Map<String, String> m) {
        if (m == null || m.isEmpty()) {
            return Map.of();
        }
        Map<String, String> copy = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (k != null && v != null) {
                copy.put(k, v);
            }
        });
        return Collections.unmodifiableMap(copy);
    }

    /** Unmodifiable copy without null elements. */
    static <T> List<T> list(List<T> l) {
        if (l == null || l.isEmpty()) {
            return List.of();
        }
        List<T> copy = new ArrayList<>(l.size());
        for (T t : l) {
            if (t != null) {
                copy.add(t);
            }
        }
        return Collections.unmodifiableList(copy);
    }

    static <T> T orElse(T value, T fallback) {
        return Objects.requireNonNullElse(value, fallback);
    }
}
