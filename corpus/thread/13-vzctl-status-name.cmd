vzctl status test_vm
