dollar_dollar_brace_alone = "$${"
percent_percent_brace_alone = "%%{"
dollar_before_escape = "$$${var.n}"
