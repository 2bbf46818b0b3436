日本 = 1
a·b = 2
Ωmega = 3
x٣ = 4
