nested_no_parens = true ? false ? 1 : 2 : 3
compare_chain_is_type_error = 1 < 2 < 3
equality_chain = 1 == 1 == true
negative_zero_index = [1,2,3][-0]
