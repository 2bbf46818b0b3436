a = "${ ~var.name }"
