terraform {
  # 1.9 for variable validations that refer to other variables (see variables.tf).
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Exact pin: the offline filesystem mirror on the project machines holds only this one.
      version = "= 5.100.0"
    }
  }

  # No backend block: state is local. For a shared deployment, add an S3 backend here
  # (bucket with versioning and a DynamoDB or S3-native lock) before the first real apply.
}
