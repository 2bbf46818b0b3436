a = "bad ÿş byte"
