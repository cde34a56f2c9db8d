Feature: OS template and root filesystem
  The container's root filesystem is created from an OS template, named as the
  filesystem's source, mounted at / (M8-M11); a mount filesystem makes an existing
  directory the container's root.

  @corpus:68 @corpus:33 @corpus:48 @corpus:02 @corpus:31 @corpus:43 @corpus:51 @corpus:62 @gap:ostemplate-pointer
  Scenario: Defining the template domain creates container 209 from fedora-core-5-i386
    Given the host has the OS template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include "<filesystem type='template'><source name='fedora-core-5-i386'/><target dir='/'/></filesystem>"
    When the domain is defined
    Then the call succeeds
    And container 209 exists on the host
    And the config of container 209 has OSTEMPLATE "fedora-core-5-i386"

  @corpus:32
  Scenario: A mount filesystem makes a directory the container's private area
    Given a private area for container 209 unpacked from template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/209"
    When the domain is defined
    Then the call succeeds
    And the config of container 209 has VE_PRIVATE "/vz/private/209"
    And the XML of domain "209" has /domain/devices/filesystem[@type="mount"]/source[@dir="/vz/private/209"]

  @corpus:42 @gap:diskspace-suffixes
  Scenario: A container created by the administrator shows its template filesystem
    Given the administrator runs "vzctl create 101 --ostemplate centos-4-i386"
    Then the XML of domain "101" has /domain/devices/filesystem[@type="template"]/source[@name="centos-4-i386"]
