Feature: Rejected and malformed XML
  What the thread rejected, and XML no driver should accept, ends in a clear define error
  with no container left behind: the summary's type='route' (M10) was refused in favour
  of type='ethernet' (M11); an OpenVZ container has one root filesystem, so a second one
  has no meaning (M5-M11 only ever give one); a document that is not XML, or a template
  the host does not have, defines nothing.

  @corpus:61
  Scenario: type='route' was rejected in favour of type='ethernet'
    Given a domain named "209"
    And its devices include:
      """
      <interface type='route'>
        <mac address='00:16:3e:34:21:9e'/>
        <ip address="192.168.122.1" />
        <ip address="192.168.122.15" />
      </interface>
      """
    When the domain is defined
    Then the call fails with a libvirt error
    And no container 209 is left on the host

  @corpus:32
  Scenario: Two filesystems
    Given a domain named "209"
    And its devices include:
      """
      <filesystem type='mount'>
        <source dir='/vz/private/209'/>
        <target dir='/'/>
      </filesystem>
      <filesystem type='mount'>
        <source dir='/vz/private/210'/>
        <target dir='/'/>
      </filesystem>
      """
    When the domain is defined
    Then the call fails with a libvirt error
    And no container 209 is left on the host

  @corpus:55
  Scenario: A domain that is not XML
    Given the domain XML:
      """
      <domain type='openvz'><name>209</name>
      """
    When the domain is defined
    Then the call fails with a libvirt error
    And no container 209 is left on the host

  @corpus:33 @gap:failed-define-kept
  Scenario: A failed define leaves no domain behind
    Given a domain named "209"
    And its devices include:
      """
      <filesystem type='template'>
        <source name='no-such-template'/>
        <target dir='/'/>
      </filesystem>
      """
    When the domain is defined
    Then the call fails with a libvirt error
    And no container 209 is left on the host
    And libvirt does not know domain "209"
