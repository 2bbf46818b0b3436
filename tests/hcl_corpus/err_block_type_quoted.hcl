"block" {
}
