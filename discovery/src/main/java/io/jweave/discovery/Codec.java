package io.jweave.discovery;

/**
 * Turns a table value into the string stored in the mesh and back. Values travel as plain strings
 * so that no Java serialization of our classes crosses the wire and the format is readable.
 */
public interface Codec<V> {
    String encode(V value);

    V decode(String text);

    /** Values that are strings already. */
    static Codec<String> string() {
        return new Codec<>() {
            @Override
            public String encode(String value) {
                return value;
            }

            @Override
            public String decode(String text) {
                return text;
            }
        };
    }
}
