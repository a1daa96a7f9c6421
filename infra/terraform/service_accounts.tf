# Four identities, each with one job:
# - runtime: what the functions run as (creates Batch jobs, publishes events);
# - job:     what the Batch jobs' VMs run as (pull images, write logs, report, notify);
# - invoker: what Pub/Sub signs its push requests as (may only invoke the event functions);
# - build:   what Cloud Build uses to build the functions from source.

resource "google_service_account" "runtime" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-runtime"
  display_name = "streamgate functions runtime"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "job" {
  project      = var.project_id
  account_id   = var.job_service_account_id
  display_name = "streamgate Batch jobs"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "invoker" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-invoker"
  display_name = "streamgate Pub/Sub push invoker"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-build"
  display_name = "streamgate function builds"
  depends_on   = [google_project_service.apis]
}
