Feature: Bridged interfaces
  A container's veth can join a bridge of the host (Evgeniy, M6). vzctl's --netif_add
  takes the container-side name and MAC and, optionally, the host-side name and MAC (M3);
  in the domain XML it is libvirt's <interface type='bridge'> with the host bridge as
  <source bridge> and the container-side MAC, the form of the summary (M10) that Daniel
  Berrange approved (M11: "This is good.").

  @corpus:58
  Scenario: The bridged interface puts the container's veth on bridge eth10 with its MAC
    Given the host has a bridge "eth10"
    And the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"
    And its devices include:
      """
      <interface type='bridge'>
        <source bridge='eth10'/>
        <mac address='00:16:3e:5d:c7:9e'/>
      </interface>
      """
    And the domain is defined
    When domain "209" is started
    Then the call succeeds
    And container 209 has a veth with MAC 00:16:3e:5d:c7:9e on bridge "eth10"

  @corpus:22 @corpus:23 @corpus:24 @corpus:45
  Scenario: The thread's --netif_add command gives the veth its names and MACs
    Given the administrator runs "vzctl create 105 --ostemplate centos-4-i386"
    When the administrator runs "vzctl set 105 --netif_add eth15,00:11:00:00:00:11,node_eth15,22:11:00:00:00:11 --save"
    And the administrator runs "vzctl start 105"
    Then the config of container 105 has NETIF "ifname=eth15,mac=00:11:00:00:00:11,host_ifname=node_eth15,host_mac=22:11:00:00:00:11"
    And container 105 has a veth with MAC 00:11:00:00:00:11 on bridge "vmbr0"
