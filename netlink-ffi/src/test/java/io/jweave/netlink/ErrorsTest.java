package io.jweave.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jweave.netlink.sys.Errno;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What users can get wrong, and the messages they get for it. */
class ErrorsTest extends KernelTestBase {

    @Test
    void duplicateNamesAreEexistNamingOperationAndObject() {
        NetNs ns = k.newNs("dup");
        Handle h = k.handle(ns);
        h.links().add(new LinkSpec("jvx-42", LinkType.Vxlan.of(42)));
        var e = assertThrows(NetlinkException.class, () -> h.links().add(new LinkSpec("jvx-42", LinkType.Vxlan.of(43))));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(e.isExists());
        assertEquals("create vxlan \"jvx-42\"", e.operation());
        assertTrue(e.getMessage().startsWith("create vxlan \"jvx-42\": File exists (EEXIST)"), e.getMessage());

        h.links().add(new LinkSpec("jbr0", new LinkType.Bridge()));
        e = assertThrows(NetlinkException.class, () -> h.links().add(new LinkSpec("jbr0", new LinkType.Bridge())));
        assertTrue(e.getMessage().startsWith("create bridge \"jbr0\": File exists (EEXIST)"), e.getMessage());
        e = assertThrows(NetlinkException.class, () -> h.links().add(new LinkSpec("jbr0", new LinkType.Tap())));
        assertTrue(e.getMessage().startsWith("create tun \"jbr0\": File exists (EEXIST)"), e.getMessage());
        e = assertThrows(NetlinkException.class, () -> h.links().add(new LinkSpec("jv0", new LinkType.Veth("jbr0"))));
        assertEquals(Errno.EEXIST, e.errno(), "a veth whose peer name is taken");
        assertNull(k.link(ns, "jv0"), "half a veth pair was left behind");
        e = assertThrows(NetlinkException.class, () -> h.links().rename("jvx-42", "jbr0"));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(e.getMessage().startsWith("rename link \"jvx-42\" to \"jbr0\": File exists (EEXIST)"), e.getMessage());
    }

    @Test
    void missingLinksAreEnodev() {
        NetNs ns = k.newNs("nodev");
        Handle h = k.handle(ns);
        var e = assertThrows(NetlinkException.class, () -> h.links().delete("jnope"));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.isNotFound());
        assertTrue(e.getMessage().startsWith("delete link \"jnope\": No such device (ENODEV)"), e.getMessage());

        e = assertThrows(NetlinkException.class, () -> h.links().setMtu("jnope", 1400));
        assertEquals("set mtu 1400 on link \"jnope\": No such device (ENODEV) - no link named \"jnope\" in "
                + ns.path(), e.getMessage());
        e = assertThrows(NetlinkException.class, () -> h.links().setUp("jnope"));
        assertEquals(Errno.ENODEV, e.errno());
        e = assertThrows(NetlinkException.class, () -> h.addresses().add("jnope", IpPrefix.parse("198.51.100.1/24")));
        assertTrue(e.getMessage().startsWith("add address 198.51.100.1/24 to link \"jnope\": No such device (ENODEV)"),
                e.getMessage());
        e = assertThrows(NetlinkException.class, () -> h.links().add(new LinkSpec("jv0", new LinkType.Veth("jv1"))
                .withMaster("jnobridge")));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("no link named \"jnobridge\""), e.getMessage());
        assertNull(k.link(ns, "jv0"));
    }

    @Test
    void namesLongerThan15BytesAreRefusedAndNothingIsCreated() {
        NetNs ns = k.newNs("long");
        Handle h = k.handle(ns);
        List<String> before = k.linkNames(ns);
        String longName = "jwt-0123456789ab"; // 16 bytes
        var e = assertThrows(NetlinkException.class, () -> h.links().add(new LinkSpec(longName, new LinkType.Bridge())));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("create bridge \"" + longName + "\": Invalid argument (EINVAL) - interface name \"" + longName
                + "\" is 16 bytes long; Linux allows at most 15", e.getMessage());
        e = assertThrows(NetlinkException.class, () -> h.links().add(new LinkSpec("jv0", new LinkType.Veth(longName))));
        assertTrue(e.getMessage().contains("is 16 bytes long; Linux allows at most 15"), e.getMessage());
        e = assertThrows(NetlinkException.class, () -> h.links().add(new LinkSpec(longName, new LinkType.Tap())));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(before, k.linkNames(ns), "something was created");

        h.links().add(new LinkSpec("jbr0", new LinkType.Bridge()));
        e = assertThrows(NetlinkException.class, () -> h.links().rename("jbr0", longName));
        assertEquals(Errno.EINVAL, e.errno());
        assertNotNull(k.link(ns, "jbr0"));
        // 15 bytes is fine
        h.links().add(new LinkSpec("jwt-0123456789a", new LinkType.Bridge()));
        assertNotNull(k.link(ns, "jwt-0123456789a"));
    }

    @Test
    void invalidMtuCarriesTheKernelsText() {
        NetNs ns = k.newNs("mtu");
        Handle h = k.handle(ns);
        h.links().add(new LinkSpec("jv0", new LinkType.Veth("jv1")));
        var e = assertThrows(NetlinkException.class, () -> h.links().setMtu("jv0", 70000));
        assertEquals(Errno.EINVAL, e.errno());
        assertNotNull(e.kernelMessage(), "the kernel explains a refused MTU (extended ack): " + e.getMessage());
        assertTrue(e.kernelMessage().toLowerCase().contains("mtu"), e.kernelMessage());
        assertEquals("set mtu 70000 on link \"jv0\": Invalid argument (EINVAL) - kernel says: " + e.kernelMessage(),
                e.getMessage());
        assertEquals(1500, k.link(ns, "jv0").path("mtu").asInt(), "MTU changed anyway");

        e = assertThrows(NetlinkException.class, () -> h.links().add(new LinkSpec("jw0", new LinkType.Veth("jw1"))
                .withMtu(70000)));
        assertEquals(Errno.EINVAL, e.errno());
        assertNull(k.link(ns, "jw0"));
        e = assertThrows(NetlinkException.class, () -> h.links().setMtu("jv0", 0));
        assertEquals(Errno.EINVAL, e.errno());
    }

    @Test
    void movingToAClosedNamespaceIsRefused() {
        NetNs a = k.newNs("mca");
        NetNs b = k.newNs("mcb");
        Handle h = k.handle(a);
        h.links().add(new LinkSpec("jm0", new LinkType.Veth("jm1")));
        b.close();
        var e = assertThrows(NetlinkException.class, () -> h.links().moveTo("jm1", b));
        assertEquals(Errno.EBADF, e.errno());
        assertEquals("move link \"jm1\" to namespace " + b.path() + ": Bad file descriptor (EBADF) - the handle on namespace "
                + b.path() + " is closed", e.getMessage());
        assertNotNull(k.link(a, "jm1"), "the link must stay where it was");
        e = assertThrows(NetlinkException.class, () -> h.links().add(new LinkSpec("jn0", new LinkType.Veth("jn1", b))));
        assertEquals(Errno.EBADF, e.errno());
        assertNull(k.link(a, "jn0"));
    }

    @Test
    void movingByPidToAMissingProcessIsEsrch() {
        NetNs a = k.newNs("mpa");
        Handle h = k.handle(a);
        h.links().add(new LinkSpec("jm0", new LinkType.Veth("jm1")));
        var e = assertThrows(NetlinkException.class, () -> h.links().moveToPid("jm1", 0x3ffffff0));
        assertEquals(Errno.ESRCH, e.errno(), e.getMessage());
        assertTrue(e.getMessage().startsWith("move link \"jm1\" to the namespace of pid " + 0x3ffffff0
                + ": No such process (ESRCH)"), e.getMessage());
    }

    @Test
    void closedHandleIsABugNotAKernelError() {
        NetNs ns = k.newNs("clh");
        Handle h = Handle.open(ns);
        h.close();
        assertThrows(IllegalStateException.class, () -> h.links().list());
    }
}
