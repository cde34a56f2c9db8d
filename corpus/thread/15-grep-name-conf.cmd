grep test_vm /etc/sysconfig/vz-scripts/105.conf
