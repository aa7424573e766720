package io.jweave.discovery;

/**
 * A host of the mesh as this member sees it.
 *
 * @param name    its {@code --name}
 * @param address its mesh address {@code ip:port} ({@code ""} if never seen by this member)
 * @param state   {@link State#UP} if a member now, {@link State#DOWN} if a known host not present
 * @param local   whether it is this router
 */
public record Peer(String name, String address, State state, boolean local) {

    public enum State { UP, DOWN }
}
