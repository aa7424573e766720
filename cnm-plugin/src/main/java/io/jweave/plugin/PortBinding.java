package io.jweave.plugin;

/**
 * One published port from {@code com.docker.network.portmap} ({@code -p hostIp:hostPort:port/proto}).
 * {@code proto} is the IP protocol number: 6 tcp, 17 udp, 132 sctp.
 */
public record PortBinding(int proto, String ip, int port, String hostIp, int hostPort, int hostPortEnd) {
    public PortBinding {
        ip = Wire.str(ip);
        hostIp = Wire.str(hostIp);
    }
}
