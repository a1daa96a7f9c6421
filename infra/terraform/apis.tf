# APIs streamgate needs. disable_on_destroy = false: other workloads in the project may use them too,
# and turning an API off on `terraform destroy` could break them.
locals {
  apis = [
    "artifactregistry.googleapis.com",     # gcr notifications, repository facts
    "batch.googleapis.com",                # the jobs
    "cloudbuild.googleapis.com",           # builds the functions from source
    "cloudfunctions.googleapis.com",       # the functions
    "cloudresourcemanager.googleapis.com", # data "google_project" (project number)
    "compute.googleapis.com",              # Batch runs its tasks on Compute Engine VMs
    "containerfilesystem.googleapis.com",  # Image streaming
    "eventarc.googleapis.com",             # required by Cloud Functions (2nd gen) deployments
    "iam.googleapis.com",                  # service accounts
    "logging.googleapis.com",              # function and job logs, logs-based metrics
    "monitoring.googleapis.com",           # dashboard and alert policies
    "pubsub.googleapis.com",               # topics and push subscriptions
    "run.googleapis.com",                  # 2nd gen functions run on Cloud Run
    "secretmanager.googleapis.com",        # webhook HMAC keys
    "serviceusage.googleapis.com",         # streamgate checks that containerfilesystem is enabled
    "storage.googleapis.com",              # source archive bucket
  ]
}

resource "google_project_service" "apis" {
  for_each = toset(local.apis)

  project            = var.project_id
  service            = each.key
  disable_on_destroy = false
}
