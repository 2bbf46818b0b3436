a=1
b    =    2
c	=	"tabs around equals"
   d = "leading spaces"
