package io.jweave.router.dns;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;

/** Where the answer to a forwarded query goes: back to a UDP client or onto a client's TCP connection. */
abstract class Reply {
    final Channel channel;

    Reply(Channel channel) {
        this.channel = channel;
    }

    abstract boolean tcp();

    /** Largest DNS message the client takes. */
    abstract int limit();

    /** Sends the DNS message {@code msg} (no length prefix); takes ownership of it. */
    abstract void send(ByteBuf msg);

    static final class Udp extends Reply {
        private final InetSocketAddress client;
        private final int limit;

        Udp(Channel channel, InetSocketAddress client, int limit) {
            super(channel);
            this.client = client;
            this.limit = limit;
        }

        @Override
        boolean tcp() {
            return false;
        }

        @Override
        int limit() {
            return limit;
        }

        @Override
        void send(ByteBuf msg) {
            if (!channel.isActive()) {
                msg.release();
                return;
            }
            channel.writeAndFlush(new DatagramPacket(msg, client), channel.voidPromise());
        }
    }

    static final class Tcp extends Reply {
        private final Runnable done;

        Tcp(Channel channel, Runnable done) {
            super(channel);
            this.done = done;
        }

        @Override
        boolean tcp() {
            return true;
        }

        @Override
        int limit() {
            return 65535;
        }

        @Override
        void send(ByteBuf msg) {
            done.run();
            if (!channel.isActive()) {
                msg.release();
                return;
            }
            ByteBuf len = channel.alloc().ioBuffer(2).writeShort(msg.readableBytes());
            channel.write(len, channel.voidPromise());
            channel.writeAndFlush(msg, channel.voidPromise());
        }
    }
}
