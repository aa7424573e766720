package io.jweave.netlink;

/** A change the kernel announced on a subscribed multicast group. */
public sealed interface NetlinkEvent {

    /** A link appeared or changed ({@code removed} false), or disappeared. */
    record LinkChanged(boolean removed, Link link) implements NetlinkEvent {
    }

    /** A neighbour entry appeared/changed or disappeared. */
    record NeighbourChanged(boolean removed, Neighbour neighbour) implements NetlinkEvent {
    }

    /** An FDB entry appeared/changed or disappeared. */
    record FdbChanged(boolean removed, FdbEntry entry) implements NetlinkEvent {
    }

    /** Notifications were lost (socket overrun): the listener must resynchronise with a dump. */
    record Overrun() implements NetlinkEvent {
    }

    /** The groups one can subscribe to. */
    enum Group {
        LINK(io.jweave.netlink.nl.Rtnl.RTNLGRP_LINK),
        NEIGHBOUR(io.jweave.netlink.nl.Rtnl.RTNLGRP_NEIGH);

        final int number;

        Group(int number) {
            this.number = number;
        }
    }
}
