resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "trail"
  enable_log_file_validation = false
}
