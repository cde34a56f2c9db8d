Feature: Rejected and malformed XML
  Proposals the thread rejected, and XML no driver should accept, end in a clear define
  error with no container left behind.

  @corpus:61
  Scenario: type='route' was rejected in favour of type='ethernet'
    Given a domain named "209"
    And its devices include corpus item "61" with " //for routing network" as ""
    When the domain is defined
    Then the call fails with a libvirt error
    And no container 209 is left on the host

  @corpus:32
  Scenario: Two filesystems
    Given a domain named "209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/210"
    When the domain is defined
    Then the call fails with a libvirt error
    And no container 209 is left on the host

  @corpus:55
  Scenario: A domain that is not XML
    Given the domain XML "<domain type='openvz'><name>209</name>"
    When the domain is defined
    Then the call fails with a libvirt error
    And no container 209 is left on the host

  @corpus:33 @gap:failed-define-kept
  Scenario: A failed define leaves no domain behind
    Given a domain named "209"
    And its devices include "<filesystem type='template'><source name='no-such-template'/><target dir='/'/></filesystem>"
    When the domain is defined
    Then the call fails with a libvirt error
    And no container 209 is left on the host
    And libvirt does not know domain "209"
