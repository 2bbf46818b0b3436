a = null + 1
b = !null
c = -null
d = null == 0
e = [null][0]
