block {
} "label"
