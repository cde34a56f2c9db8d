vzctl set 105 --netif_add eth15,00:11:00:00:00:11,node_eth15,22:11:00:00:00:11 --save
