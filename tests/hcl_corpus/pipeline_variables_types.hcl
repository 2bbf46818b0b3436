variable "name" {
  type    = string
  default = "app"
}
variable "replicas" {
  type    = number
  default = 3
}
variable "enabled" {
  type    = bool
  default = true
}
