package io.jweave.plugin;

/** One exposed port from {@code com.docker.network.endpoint.exposedports}; {@code proto} 6 tcp, 17 udp. */
public record ExposedPort(int proto, int port) {
}
