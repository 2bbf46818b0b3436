formatdate_iso = formatdate("YYYY-MM-DD", "2024-03-05T10:20:30Z")
formatdate_full = formatdate("DD MMM YYYY hh:mm:ss ZZZ", "2024-03-05T10:20:30Z")
formatdate_weekday = formatdate("EEEE, EEE", "2024-03-05T10:20:30Z")
formatdate_literal = formatdate("'Day' D", "2024-03-05T10:20:30Z")
timeadd_hours = timeadd("2024-03-05T10:20:30Z", "26h")
timeadd_negative = timeadd("2024-03-05T00:00:00Z", "-90m")
timestamp_is_string = length(timestamp()) > 0
