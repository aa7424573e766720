package io.jweave.router.driver;

import io.jweave.ipam.AddressGrant;
import io.jweave.ipam.Ipam;
import io.jweave.ipam.IpamException;
import io.jweave.ipam.PoolGrant;
import io.jweave.plugin.IpamDriver;
import io.jweave.plugin.PluginException;
import io.jweave.plugin.ReleaseAddressRequest;
import io.jweave.plugin.ReleasePoolRequest;
import io.jweave.plugin.RequestAddressRequest;
import io.jweave.plugin.RequestAddressResponse;
import io.jweave.plugin.RequestPoolRequest;
import io.jweave.plugin.RequestPoolResponse;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Docker's {@code IpamDriver.*} calls land here and go straight to {@link Ipam} (local, no I/O but its state file). */
public final class IpamDriverImpl implements IpamDriver {
    private static final Logger LOG = LoggerFactory.getLogger(IpamDriverImpl.class);
    private final Ipam ipam;

    public IpamDriverImpl(Ipam ipam) {
        this.ipam = ipam;
    }

    @Override
    public RequestPoolResponse requestPool(RequestPoolRequest r) {
        PoolGrant g = userErrors(() -> ipam.requestPool(r.addressSpace(), r.pool(), r.subPool(), r.options(), r.v6()));
        LOG.info("ipam: pool {} granted as {}", g.pool(), g.poolId());
        return RequestPoolResponse.of(g.poolId(), g.pool().toString());
    }

    @Override
    public void releasePool(ReleasePoolRequest r) {
        userErrors(() -> {
            ipam.releasePool(r.poolId());
            return null;
        });
        LOG.info("ipam: released pool {}", r.poolId());
    }

    @Override
    public RequestAddressResponse requestAddress(RequestAddressRequest r) {
        AddressGrant g = userErrors(() -> ipam.requestAddress(r.poolId(), r.address(), r.options()));
        return RequestAddressResponse.of(g.cidrNotation());
    }

    @Override
    public void releaseAddress(ReleaseAddressRequest r) {
        userErrors(() -> {
            ipam.releaseAddress(r.poolId(), r.address());
            return null;
        });
    }

    /** IPAM refusals are the user's to read: they reach the docker CLI as the call's error. */
    static <T> T userErrors(Supplier<T> call) {
        try {
            return call.get();
        } catch (IpamException e) {
            throw new PluginException(e.getMessage(), e);
        }
    }
}
