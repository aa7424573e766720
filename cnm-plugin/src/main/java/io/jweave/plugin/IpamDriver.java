package io.jweave.plugin;

/**
 * Docker's {@code IpamDriver.*} calls, one method per call. Same threading and error rules as
 * {@link NetworkDriver}: fast, local, {@link PluginException} for refusals. Release calls' errors
 * are only logged by Docker, so releases must be idempotent.
 */
public interface IpamDriver {

    /** {@code IpamDriver.GetCapabilities}. Keep the default for jweave. */
    default IpamCapabilities getIpamCapabilities() {
        return IpamCapabilities.JWEAVE;
    }

    /** {@code IpamDriver.GetDefaultAddressSpaces}. Keep the default for jweave. */
    default AddressSpaces getDefaultAddressSpaces() {
        return AddressSpaces.JWEAVE;
    }

    /** {@code IpamDriver.RequestPool}. Never return the same automatic pool twice (Docker's overlap loop). */
    RequestPoolResponse requestPool(RequestPoolRequest request);

    /** {@code IpamDriver.ReleasePool}. */
    void releasePool(ReleasePoolRequest request);

    /** {@code IpamDriver.RequestAddress}. A specific address that cannot be granted must be refused. */
    RequestAddressResponse requestAddress(RequestAddressRequest request);

    /** {@code IpamDriver.ReleaseAddress}. */
    void releaseAddress(ReleaseAddressRequest request);
}
