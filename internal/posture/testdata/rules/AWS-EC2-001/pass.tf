locals {
  tokens = "required"
}
resource "aws_instance" "web" {
  count         = 2
  ami           = "ami-123"
  instance_type = "t3.micro"
  metadata_options {
    http_tokens = local.tokens
  }
}
