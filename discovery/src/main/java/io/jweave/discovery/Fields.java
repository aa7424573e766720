package io.jweave.discovery;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny text format for record codecs: {@code key=value} lines, with {@code \\}, newline and
 * {@code ,} escaped in values. Lists are comma separated; maps are lists of {@code k:v}... kept as
 * nested escaped strings.
 */
final class Fields {

    private Fields() {
    }

    static String write(Map<String, String> fields) {
        StringBuilder sb = new StringBuilder();
        fields.forEach((k, v) -> {
            if (v != null) {
                sb.append(k).append('=').append(escape(v)).append('\n');
            }
        });
        return sb.toString();
    }

    static Map<String, String> read(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("malformed record line \"" + line + "\"");
            }
            out.put(line.substring(0, eq), unescape(line.substring(eq + 1)));
        }
        return out;
    }

    static String list(List<String> items) {
        StringBuilder sb = new StringBuilder();
        for (String i : items) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(escape(i));
        }
        return sb.toString();
    }

    static List<String> list(String text) {
        if (text == null || text.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                cur.append(c).append(text.charAt(++i));
            } else if (c == ',') {
                out.add(unescape(cur.toString()));
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(unescape(cur.toString()));
        return out;
    }

    static String map(Map<String, String> m) {
        List<String> items = new ArrayList<>();
        m.forEach((k, v) -> items.add(list(List.of(k, v))));
        return list(items);
    }

    static Map<String, String> map(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String item : list(text)) {
            List<String> kv = list(item);
            if (kv.size() != 2) {
                throw new IllegalArgumentException("malformed map item \"" + item + "\" in " + Arrays.asList(text));
            }
            out.put(kv.get(0), kv.get(1));
        }
        return out;
    }

    static String required(Map<String, String> f, String key) {
        String v = f.get(key);
        if (v == null) {
            throw new IllegalArgumentException("record lacks field \"" + key + "\"");
        }
        return v;
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case ',' -> sb.append("\\,");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static String unescape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                sb.append(n == 'n' ? '\n' : n);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
