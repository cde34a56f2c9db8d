vzctl set 105 --name test_vm --save
