Feature: OS template and root filesystem
  Evgeniy proposed an <ostemplate> in <os> (M1); Daniel Berrange read the template as a
  master tarball unpacked to form the container's root (M5) and made it the <source> of
  a <filesystem type='template'> (M5, M7): the template is the host resource the
  filesystem comes from, not a property of it (M7). The summary (M10) dropped the target;
  the last message put <target dir='/'/> back (M11). A mount filesystem, the form the LXC
  driver already had (M5), makes an existing directory the container's root.

  @corpus:68 @corpus:33 @corpus:48 @corpus:02 @corpus:31 @corpus:43 @corpus:51 @corpus:62 @gap:ostemplate-pointer
  Scenario: Defining the template domain creates container 209 from fedora-core-5-i386
    Given the thread's domain 209 created from template "fedora-core-5-i386"
    When the domain is defined
    Then the call succeeds
    And container 209 exists on the host
    And the config of container 209 has OSTEMPLATE "fedora-core-5-i386"

  @corpus:32
  Scenario: A mount filesystem makes a directory the container's private area
    Given the thread's domain 209 with its root in a private area unpacked from template "fedora-core-5-i386"
    When the domain is defined
    Then the call succeeds
    And the config of container 209 has VE_PRIVATE "/vz/private/209"
    And libvirt shows the root of domain "209" mounted from "/vz/private/209"

  @corpus:42 @gap:diskspace-suffixes
  Scenario: A container created by the administrator shows its template filesystem
    Given the administrator runs "vzctl create 101 --ostemplate centos-4-i386"
    Then libvirt shows the root of domain "101" created from template "centos-4-i386"
