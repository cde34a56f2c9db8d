Feature: The step library's own steps
  Steps a driver developer writes scenarios with, exercised on a fresh simulated host
  (these scenarios are not the thread's: they are not in the conformance matrix).

  Scenario: The driver's vzctl calls are in the journal, and vcpus and memory reach the config
    Given a private area for container 209 unpacked from template "fedora-core-5-i386"
    And the domain XML in "domain-209.xml"
    When the domain is defined
    Then the call succeeds
    And the driver ran "vzctl --quiet set 209 --cpus 1 --save"
    And the driver ran "vzctl --quiet set 209 --kmemsize 536870912 --save"
    And libvirt shows domain "209" with 512 MiB of memory
    And the config of container 209 has VE_PRIVATE containing "/private/"

  Scenario: libvirt-python cannot set a memory hard limit on the OpenVZ driver
    # the binding first reads the parameters with VIR_TYPED_PARAM_STRING_OKAY, which
    # openvz_driver.c:openvzDomainGetMemoryParameters refuses (virCheckFlags(0)); so
    # does the binding's memoryParameters()
    Given the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"
    And it has 256 MiB of memory
    And the domain is defined
    When the memory hard limit of domain "209" is set to 512 MiB
    Then the call fails with libvirt error VIR_ERR_INVALID_ARG
    And the call fails with a libvirt error saying "unsupported flags (0x4)"
    And the config of container 209 has KMEMSIZE containing "268435456"

  Scenario: vcpus changed on a running domain
    Given the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"
    And the domain is defined
    And domain "209" is started
    When domain "209" gets 1 vcpu while running
    Then the call succeeds
    And the driver ran "vzctl --quiet set 209 --cpus 1 --save"
    And libvirt shows domain "209" with 1 vcpu

  Scenario: A dumpxml round trip
    Given the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"
    When the domain is defined
    Then the XML of domain "209" defines the same domain again

  Scenario: A refused call's libvirt error, by code and by text
    Given the domain XML:
      """
      <domain type='openvz'>
        <name>209</name>
      </domain>
      """
    When the domain is defined
    Then the call fails with libvirt error VIR_ERR_XML_ERROR
    And the call fails with a libvirt error saying "os <type>"

  Scenario: One-line forms: corpus items, device XML in quotes, an XPath
    Given the host has a bridge "eth10"
    And a private area for container 209 unpacked from template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/209"
    And its devices include "<interface type='bridge'><source bridge='eth10'/></interface>"
    And its devices include corpus item "69"
    When the domain is defined
    Then the call succeeds
    And the XML of domain "209" has /domain/devices/filesystem[@type="mount"]
    And the config of container 209 has IP_ADDRESS containing "192.168.122.15"

  Scenario: A whole domain from the corpus, or written in one line
    Given the domain XML "<domain type='openvz'><name>209</name><os><type>exe</type></os></domain>"
    When the domain is defined
    Then the call fails with a libvirt error saying "Memory size must be specified"
    Given the domain of corpus item "56"
    When the domain is defined
    Then the call fails with a libvirt error saying "os <type>"

  Scenario: A device changed on a running domain, in one line
    Given the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"
    And the domain is defined
    And domain "209" is started
    When domain "209" gets the device "<filesystem type='mount'><source dir='/vz/private/209'/><target dir='/'/></filesystem>" while running
    Then the call succeeds

  Scenario: Each host as its administrator sees it after a vzmigrate
    # the administrator's own vzmigrate: libvirt's migration of a running domain does not
    # get this far (features/migration, gap migrate-memory-unset)
    Given a second OpenVZ host
    And the thread's domain 101 with its root in a private area unpacked from template "fedora-core-5-i386"
    And the domain is defined
    And domain "101" is started
    When the administrator runs "vzmigrate --live simvz-peer 101"
    Then the second host has container 101 running
    And libvirt on the second host lists domain 101 as running
    And the first host no longer has container 101
