df -i
