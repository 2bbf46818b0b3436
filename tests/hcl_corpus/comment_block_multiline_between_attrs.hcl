a = 1 /* starts here
continues here */
b = 2
