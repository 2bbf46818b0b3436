expand_string = upper("abc"...)
expand_number = max(5...)
ok = max([1, 2]...)
