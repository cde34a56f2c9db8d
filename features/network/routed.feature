Feature: Routed interfaces
  Routed IPs belong to one container and go through its venet adapter to the host, which
  routes them (Evgeniy, M1 and M3: vzctl set 150 --ipadd 2.2.2.2 --save). Daniel Veillard's
  idea of routing through libvirt networks was not the same thing (M2, M3). Daniel
  Berrange put them on the generic <interface type='ethernet'> with <ip address=.../>
  elements (M5, M11); the summary's new type='route' was rejected.

  @corpus:18 @corpus:19 @corpus:20 @corpus:05
  Scenario: vzctl's --ipadd gives container 150 a routed IP
    Given the administrator runs "vzctl create 150 --ostemplate centos-4-i386"
    When the administrator runs "vzctl set 150 --ipadd 2.2.2.2 --save"
    And the administrator runs "vzctl start 150"
    Then the config of container 150 has IP_ADDRESS "2.2.2.2"
    And container 150 has the address 2.2.2.2 on venet0
    And the host routes 2.2.2.2 to venet0

  @corpus:69 @corpus:66 @corpus:37 @corpus:09 @corpus:21
  Scenario: The routed example gives the container both IPs, routed on the host
    Given the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"
    And its devices include:
      """
      <interface type='ethernet'>
        <mac address='00:16:3e:34:21:9e'/>
        <ip address="192.168.122.1" />
        <ip address="192.168.122.15" />
      </interface>
      """
    And the domain is defined
    When domain "209" is started
    Then the call succeeds
    And container 209 has the address 192.168.122.1 on venet0
    And container 209 has the address 192.168.122.15 on venet0
    And the host routes 192.168.122.1 to venet0
    And the host routes 192.168.122.15 to venet0
