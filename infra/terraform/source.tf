# The functions' source: the repository (TypeScript, built by Cloud Build with `npm run gcp-build`,
# which compiles functions/ and shared/ only) zipped without what the build does not need (the CLI
# and the local stand-ins included), uploaded under a name that contains the archive's
# md5 so that any change to the source gives a new object and redeploys the functions.

data "archive_file" "source" {
  type        = "zip"
  source_dir  = "${path.module}/../.."
  output_path = "${path.module}/.build/streamgate-source.zip"
  excludes = [
    ".git/**",
    ".ci/**",
    ".streamgate/**",
    "node_modules/**",
    "dist/**",
    "coverage/**",
    "test/**",
    "bench/**",
    "docs/**",
    "infra/terraform/**", # state, tfvars, .terraform and the archive itself
    "infra/local/**",     # the local stand-ins: the deployed build never runs them
    "cli/**",
    "**/.env",
    "**/.env.*",
  ]
}

resource "google_storage_bucket" "source" {
  project                     = var.project_id
  name                        = "${var.project_id}-${var.name_prefix}-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true # it only ever holds build archives
  labels                      = { app = "streamgate" }

  # Cloud Functions copies the source at deploy time, so old archives are dead weight.
  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}

resource "google_storage_bucket_object" "source" {
  bucket = google_storage_bucket.source.name
  name   = "streamgate-${data.archive_file.source.output_md5}.zip"
  source = data.archive_file.source.output_path
}
