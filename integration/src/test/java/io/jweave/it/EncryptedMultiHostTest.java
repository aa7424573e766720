package io.jweave.it;

import io.jweave.it.testbed.Testbed;

/**
 * {@link MultiHostTest}'s scenarios (a network made on one host carries traffic between all three;
 * two networks stay isolated) on a mesh with a password: every router's mesh and VXLAN traffic goes
 * through the encrypted tunnel. What a capture of it shows is {@link EncryptedMeshTest}'s business.
 */
class EncryptedMultiHostTest extends MultiHostTest {
    @Override
    Testbed.Builder bed(Testbed.Builder b) {
        return b.password("a mesh password for EncryptedMultiHostTest");
    }
}
