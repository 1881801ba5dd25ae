resource "aws_s3_bucket" "web" {
  bucket = "web"
}
resource "aws_s3_bucket_acl" "web" {
  bucket = aws_s3_bucket.web.id
  acl    = "public-read"
}
