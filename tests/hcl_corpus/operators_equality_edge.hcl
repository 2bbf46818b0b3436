a = [1] == [1.0]
b = { a = 1 } == { a = 1, b = 2 }
c = null == false
e = "" == null
f = 1 != "1"
g = [] == {}
h = [null] == [null]
