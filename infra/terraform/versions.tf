# Provider and Terraform versions. google >= 6 for the current google_cloudfunctions2_function schema;
# archive >= 2.4 because `excludes` takes glob patterns from that version on.
terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 8.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
