a = "%{ if true }yes"
