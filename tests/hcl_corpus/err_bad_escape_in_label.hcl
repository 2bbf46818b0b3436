block "bad \z" {
}
