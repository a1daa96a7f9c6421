# One identity per function, so that each holds only the roles its own code uses (iam.tf), plus:
# - job:     what the Batch jobs' VMs run as (pull images, write logs, report, notify);
# - invoker: what Pub/Sub signs its push requests as (may only invoke the event functions);
# - build:   what Cloud Build uses to build the functions from source.

locals {
  # Keyed like local.event_functions, plus the webhook. Suffixes stay short: account ids are
  # limited to 30 characters and name_prefix may take 20.
  function_accounts = {
    webhook     = { suffix = "fn-hook", display_name = "streamgate webhook function" }
    image-push  = { suffix = "fn-push", display_name = "streamgate onImagePush function" }
    job-request = { suffix = "fn-req", display_name = "streamgate onJobRequest function" }
    job-state   = { suffix = "fn-state", display_name = "streamgate onJobStateChanged function" }
  }
}

resource "google_service_account" "function" {
  for_each = local.function_accounts

  project      = var.project_id
  account_id   = "${var.name_prefix}-${each.value.suffix}"
  display_name = each.value.display_name
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
