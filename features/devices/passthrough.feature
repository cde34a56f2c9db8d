Feature: NIC passthrough
  OpenVZ can move a host NIC such as eth1 into a container; it disappears from the host
  while the container runs (M1, M3). The thread proposed <host class='network'> devices
  (M6-M11, left open); later libvirt documents <hostdev mode='capabilities' type='net'>.

  @corpus:72 @corpus:06 @corpus:38 @corpus:39 @corpus:40 @corpus:46 @corpus:60 @corpus:64 @corpus:65 @gap:hostdev-unsupported
  Scenario: Passthrough moves eth1 into the running container and back on stop
    Given the host has a spare NIC "eth1"
    And a private area for container 209 unpacked from template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/209"
    And its devices include corpus item "72" with "eth0" as "eth1"
    And the domain is defined
    When domain "209" is started
    Then the host NIC "eth1" is inside container 209
    When domain "209" is destroyed
    Then the host NIC "eth1" is back on the host

  @corpus:06
  Scenario: vzctl's --netdev_add moves eth1 into the container while it runs
    Given the host has a spare NIC "eth1"
    And the administrator runs "vzctl create 101 --ostemplate centos-4-i386"
    And the administrator runs "vzctl set 101 --netdev_add eth1 --save"
    When the administrator runs "vzctl start 101"
    Then the host NIC "eth1" is inside container 101
    When the administrator runs "vzctl stop 101"
    Then the host NIC "eth1" is back on the host
