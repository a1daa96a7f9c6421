# Least privilege. Each function runs as its own service account (service_accounts.tf) and is
# granted only what its code calls. Roles are granted on the narrowest resource that works;
# project-level grants are only for roles whose resources are created later (Batch jobs, images in
# any repository, logs). No basic role (owner/editor/viewer) is used anywhere, and
# iam.serviceAccountUser is granted on the job service account only, never on the project.
#
# | function          | Batch jobs     | registry + Service Usage | events topic | webhook secret |
# |-------------------|----------------|--------------------------|--------------|----------------|
# | webhook           | create, read   | read                     | publish      | read           |
# | onImagePush       | create, read   | read                     | publish      | -              |
# | onJobRequest      | create, read   | read                     | publish      | -              |
# | onJobStateChanged | read           | -                        | publish      | -              |
#
# Mode "repair" writes repaired images (a config blob and manifests) back to the image's own
# repository; the job-creating functions get roles/artifactregistry.writer on the repositories in
# var.repair_repositories only (none by default), never on the project.
#
# No function has any right on the notifications topic: the job service account publishes to it
# (below), and Terraform, not a function, creates it and its subscription (docs/deploy.md, "Service
# accounts and roles").

locals {
  # Functions that create Batch jobs; they read the image first (registry, Artifact Registry,
  # Service Usage) and act as the job service account.
  job_creating_functions = ["webhook", "image-push", "job-request"]
  # Functions that only read jobs (onJobStateChanged reads the job a notification names).
  job_reading_functions = ["job-state"]

  job_project_roles = [
    "roles/batch.agentReporter", # the Batch agent on each VM reports task state
    "roles/logging.logWriter",
    "roles/artifactregistry.reader", # pull (and stream) the job's image
  ]
  # One writer grant per (launching function, repair repository).
  repair_grants = {
    for pair in setproduct(local.job_creating_functions, var.repair_repositories) :
    "${pair[0]}/${coalesce(pair[1].project, var.project_id)}/${pair[1].location}/${pair[1].repository_id}" => {
      function      = pair[0]
      project       = coalesce(pair[1].project, var.project_id)
      location      = pair[1].location
      repository_id = pair[1].repository_id
    }
  }
  # The same repositories as the functions name them: HOST/PROJECT/REPOSITORY.
  repair_repository_hosts = join(",", [
    for r in var.repair_repositories :
    "${r.location}-docker.pkg.dev/${coalesce(r.project, var.project_id)}/${r.repository_id}"
  ])
  # Google's guidance for a user-chosen Cloud Build service account of Cloud Functions builds.
  build_project_roles = [
    "roles/cloudbuild.builds.builder",
  ]
}

# ---- functions ----

resource "google_project_iam_member" "function_creates_jobs" {
  for_each = toset(local.job_creating_functions)

  project = var.project_id
  role    = "roles/batch.jobsEditor" # create, read and list jobs in any Batch region
  member  = google_service_account.function[each.key].member
}

resource "google_project_iam_member" "function_reads_jobs" {
  for_each = toset(local.job_reading_functions)

  project = var.project_id
  role    = "roles/batch.jobsViewer" # get and list jobs and tasks; cannot create
  member  = google_service_account.function[each.key].member
}

resource "google_project_iam_member" "function_reads_images" {
  for_each = toset(local.job_creating_functions)

  project = var.project_id
  role    = "roles/artifactregistry.reader" # manifests and repository facts
  member  = google_service_account.function[each.key].member
}

resource "google_project_iam_member" "function_checks_image_streaming_api" {
  for_each = toset(local.job_creating_functions)

  project = var.project_id
  role    = "roles/serviceusage.serviceUsageViewer" # is containerfilesystem enabled?
  member  = google_service_account.function[each.key].member
}

resource "google_project_iam_member" "function_writes_logs" {
  for_each = local.function_accounts

  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.function[each.key].member
}

# Mode "repair": write access to the listed repositories only, for the functions that launch.
resource "google_artifact_registry_repository_iam_member" "function_writes_repaired_images" {
  for_each = local.repair_grants

  project    = each.value.project
  location   = each.value.location
  repository = each.value.repository_id
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.function[each.value.function].member
}

# Creating a job that runs as the job service account requires actAs on that account alone.
resource "google_service_account_iam_member" "function_acts_as_job" {
  for_each = toset(local.job_creating_functions)

  service_account_id = google_service_account.job.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.function[each.key].member
}

resource "google_pubsub_topic_iam_member" "function_publishes_events" {
  for_each = local.function_accounts

  project = var.project_id
  topic   = google_pubsub_topic.events.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.function[each.key].member
}

# Only the webhook verifies signatures, so only its account may read the keys.
resource "google_secret_manager_secret_iam_member" "webhook_reads_keys" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.webhook_keys.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function["webhook"].member
}

# ---- Batch jobs ----

resource "google_project_iam_member" "job" {
  for_each = toset(local.job_project_roles)

  project = var.project_id
  role    = each.key
  member  = google_service_account.job.member
}

resource "google_pubsub_topic_iam_member" "job_publishes_notifications" {
  project = var.project_id
  topic   = google_pubsub_topic.notifications.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.job.member
}

# Some setups have Batch's own service agent publish the notifications (documented for topics in
# another project). The agent's address format is unverified, hence the switch.
resource "google_pubsub_topic_iam_member" "batch_agent_publishes_notifications" {
  count = var.grant_batch_service_agent ? 1 : 0

  project = var.project_id
  topic   = google_pubsub_topic.notifications.name
  role    = "roles/pubsub.publisher"
  member  = local.batch_service_agent
}

# ---- builds ----

resource "google_project_iam_member" "build" {
  for_each = toset(local.build_project_roles)

  project = var.project_id
  role    = each.key
  member  = google_service_account.build.member
}

# ---- Pub/Sub push and dead-lettering ----

# Pub/Sub mints the push requests' OIDC tokens as the invoker service account.
resource "google_service_account_iam_member" "pubsub_signs_as_invoker" {
  service_account_id = google_service_account.invoker.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

# A function (2nd gen) is a Cloud Run service of the same name; invoking it needs run.invoker there.
resource "google_cloud_run_service_iam_member" "invoker_calls_event_function" {
  for_each = local.event_functions

  project  = var.project_id
  location = google_cloudfunctions2_function.event[each.key].location
  service  = google_cloudfunctions2_function.event[each.key].name
  role     = "roles/run.invoker"
  member   = google_service_account.invoker.member
}

# Dead-lettering needs the Pub/Sub service agent to publish to the dead-letter topic and to
# acknowledge on the source subscription.
resource "google_pubsub_topic_iam_member" "pubsub_publishes_dead_letters" {
  for_each = local.event_functions

  project = var.project_id
  topic   = google_pubsub_topic.dead_letter[each.key].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "pubsub_acks_dead_letters" {
  for_each = local.event_functions

  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# ---- webhook callers ----

resource "google_cloud_run_service_iam_member" "webhook_public" {
  count = var.webhook_public ? 1 : 0

  project  = var.project_id
  location = google_cloudfunctions2_function.webhook.location
  service  = google_cloudfunctions2_function.webhook.name
  role     = "roles/run.invoker"
  member   = "allUsers" # the HMAC signature is then the only gate
}

resource "google_cloud_run_service_iam_member" "webhook_invokers" {
  for_each = toset(var.webhook_invokers)

  project  = var.project_id
  location = google_cloudfunctions2_function.webhook.location
  service  = google_cloudfunctions2_function.webhook.name
  role     = "roles/run.invoker"
  member   = each.key
}
