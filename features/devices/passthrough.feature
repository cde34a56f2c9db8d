Feature: NIC passthrough
  OpenVZ can move a host NIC such as eth1 into a container: it leaves the host while the
  container runs and comes back when it stops (Evgeniy, M1 and M3). Daniel Berrange
  answered that this is host device assignment, not a kind of interface (M5), and asked
  in the last message for an explicit host device element (M11); nobody replied, so the
  form was left open. Later libvirt documents <hostdev mode='capabilities' type='net'>,
  the form these scenarios use.

  @corpus:72 @corpus:06 @corpus:38 @corpus:39 @corpus:40 @corpus:46 @corpus:60 @corpus:64 @corpus:65 @gap:hostdev-unsupported
  Scenario: Passthrough moves eth1 into the running container and back on stop
    Given the host has a spare NIC "eth1"
    And the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"
    And its devices include:
      """
      <hostdev mode='capabilities' type='net'>
        <source>
          <interface>eth1</interface>
        </source>
      </hostdev>
      """
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
