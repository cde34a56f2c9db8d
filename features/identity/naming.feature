Feature: Identity and naming
  Evgeniy proposed a new element for the mandatory numeric container ID (M1); Daniel
  Veillard answered that the ID is the domain's <name>, numeric and permanent, and that
  a running container shows it as the domain's id too (M2). The OpenVZ NAME is an alias
  vzctl resolves to the ID (Evgeniy, M3); where it goes in the XML was left open, and the
  summary (M10) names the domain by its ID, 209, with its uuid.

  @corpus:56 @corpus:07 @corpus:01 @corpus:10 @corpus:17
  Scenario: The numeric name is the container ID
    Given the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"
    When the domain is defined
    Then the call succeeds
    And container 209 exists on the host
    And libvirt lists domain "209" as shut off
    And libvirt shows domain "209" with the uuid it was defined with

  @corpus:67
  Scenario: A running container shows its ID as the domain id
    Given the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"
    And the domain is defined
    When domain "209" is started
    Then the call succeeds
    And container 209 is running
    And libvirt shows domain "209" with the id 209

  @corpus:11 @corpus:12 @corpus:13 @corpus:14 @corpus:15 @corpus:16 @corpus:08
  Scenario: The OpenVZ NAME is an alias vzctl resolves
    Given the administrator runs "vzctl create 105 --ostemplate centos-4-i386"
    When the administrator runs "vzctl set 105 --name test_vm --save"
    Then vzctl says "CTID 105 exist unmounted down" for "test_vm"
    And the config of container 105 has NAME "test_vm"
