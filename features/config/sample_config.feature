Feature: Sample config and resource parameters
  Evgeniy proposed naming a vzctl sample config in the domain XML (M1: <config>vps.basic,
  explained in M6). Daniel Berrange rejected it (M7): a sample config's name hides the
  resource settings from the management application, which must see them in the XML
  itself. Evgeniy asked how the sample's parameters would go into the XML (M8) and
  nobody answered; libvirt's generic elements carry what they can, such as the vcpus.

  @corpus:03 @corpus:47 @corpus:41
  Scenario: An os/config element is not part of the domain XML
    Given the domain XML:
      """
      <domain type='openvz'>
        <name>209</name>
        <memory>262144</memory>
        <os>
          <type>exe</type>
          <config>vps.basic</config>
        </os>
      </domain>
      """
    When the domain is defined
    Then libvirt's XML of domain "209" does not mention "vps.basic"

  @corpus:50
  Scenario: vcpus are a visible resource setting
    Given the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"
    And it has 1 vcpu
    When the domain is defined
    Then the config of container 209 has CPUS "1"
    And libvirt shows domain "209" with 1 vcpu
