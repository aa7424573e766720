package io.jweave.router.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The query string of the status API's DNS routes. */
final class DnsQuery {
    private DnsQuery() {
    }

    static String of(List<String> ips, String name, String path) {
        StringBuilder sb = new StringBuilder(path).append('?');
        for (String ip : ips) {
            sb.append("ip=").append(URLEncoder.encode(ip, StandardCharsets.UTF_8)).append('&');
        }
        return sb.append("name=").append(URLEncoder.encode(name, StandardCharsets.UTF_8)).toString();
    }
}
