empty = ""
space = " "
empty_interp = "${""}"
