block
"label" {
}
