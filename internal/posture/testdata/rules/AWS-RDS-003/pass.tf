resource "aws_db_instance" "db" {
  engine = "mysql"
}
