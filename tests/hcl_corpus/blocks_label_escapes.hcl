b "with space" "quote \" inside" "caf\u00e9" "tab\there" {
}
c "$${not interpolated}" "%%{not directive}" {
}
d "" {
}
