Feature: NAT networks
  NAT is libvirt's virtual network (Daniel Berrange, M7): libvirt owns the bridge virbr0
  and its NAT rules, and the container's veth just joins it. The interface names the
  network, 'default', and the driver asks the network for its bridge (M9). The summary's
  bridge interface with a nested <target type='network'> (M10) was a misunderstanding,
  corrected into <interface type='network'><source network='default'/> (M11).

  Background:
    Given the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"

  @corpus:63 @corpus:49 @corpus:54 @corpus:52 @corpus:53 @gap:network-type-ignored
  Scenario: NAT puts the container's veth on virbr0
    Given its devices include:
      """
      <interface type='network'>
        <source network='default'/>
      </interface>
      """
    And the domain is defined
    When domain "209" is started
    Then the call succeeds
    And container 209 has a veth on bridge "virbr0"

  @corpus:59
  Scenario: The misunderstood NAT form is just a bridge interface
    Given the host has a bridge "eth11"
    And its devices include:
      """
      <interface type='bridge'>
        <source bridge='eth11'/>
        <target type='network'>
          <source network='default'/>
        </target>
      </interface>
      """
    And the domain is defined
    When domain "209" is started
    Then container 209 has a veth on bridge "eth11"
