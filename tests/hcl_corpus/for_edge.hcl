key_only_over_object = [for k, v in { a = 1 } : k]
group_then_if = { for x in [1,2,3] : x % 2 => x... if x > 1 }
