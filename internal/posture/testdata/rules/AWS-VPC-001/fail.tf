variable "admin_cidr" {
  default = "0.0.0.0/0"
}
resource "aws_security_group" "web" {
  name        = "web"
  description = "web"
}
resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  security_group_id = aws_security_group.web.id
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = [var.admin_cidr]
}
