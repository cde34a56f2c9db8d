vzctl set 150 --ipadd 2.2.2.2 --save
